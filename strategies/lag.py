"""Partition weights from consumer lag, for :class:`~strategies.weighted.WeightedStickyAssignor`.

Uses kafka-python's admin client (this is an adapter, not part of the pure core). Weight of a
partition = ``max(0, end offset - committed offset) + floor``; partitions without a committed
offset weigh ``floor``. Figures are cached for ``cache_seconds`` because the group leader calls
the provider during every assignment. On any error it logs a warning and returns the last
weights it read successfully (none before the first success, so the assignor then uses its
default weight); a rebalance never fails for a metric, and the next call tries again.

    from strategies.lag import ConsumerLagWeights
    from strategies.weighted import WeightedStickyAssignor
    from strategies.kafka_python import KafkaPythonAssignor

    weights = ConsumerLagWeights("billing", bootstrap_servers="broker:9092")
    strategy = KafkaPythonAssignor(WeightedStickyAssignor(weights))
"""

from __future__ import annotations

import logging
import time
from typing import Any

from strategies.core import ClusterMetadata, TopicPartition

log = logging.getLogger("strategies")


class ConsumerLagWeights:
    """Callable ``(ClusterMetadata) -> {TopicPartition: lag + floor}`` for one consumer group."""

    def __init__(
        self,
        group_id: str,
        *,
        floor: float = 1.0,
        cache_seconds: float = 30.0,
        admin: Any = None,
        **admin_config: Any,
    ) -> None:
        if not group_id or not isinstance(group_id, str):
            raise ValueError(f"group_id must be a non-empty str, got {group_id!r}")
        if floor < 0 or cache_seconds < 0:
            raise ValueError("floor and cache_seconds must be >= 0")
        self.group_id = group_id
        self.floor = float(floor)
        self.cache_seconds = cache_seconds
        self._admin = admin
        self._admin_config = admin_config
        self._cached: dict[TopicPartition, float] = {}
        self._cached_at = -float("inf")

    def _client(self) -> Any:
        if self._admin is None:
            from kafka import KafkaAdminClient

            self._admin = KafkaAdminClient(**self._admin_config)
        return self._admin

    def __call__(self, cluster: ClusterMetadata) -> dict[TopicPartition, float]:
        if time.monotonic() - self._cached_at < self.cache_seconds:
            return self._cached
        try:
            weights = self._read(cluster)
        except Exception as exc:  # noqa: BLE001 - never fail a rebalance for a metric
            if self._cached:
                log.warning("consumer lag of group %r unavailable (%s); using the weights read"
                            " %.0f s ago", self.group_id, exc, time.monotonic() - self._cached_at)
            else:
                log.warning("consumer lag of group %r unavailable (%s); using default weights",
                            self.group_id, exc)
            return self._cached
        self._cached, self._cached_at = weights, time.monotonic()
        return weights

    def _read(self, cluster: ClusterMetadata) -> dict[TopicPartition, float]:
        from kafka.admin import OffsetSpec
        from kafka.structs import TopicPartition as KafkaTP

        admin = self._client()
        tps = [KafkaTP(t, p) for t, n in cluster.partition_counts.items() for p in range(n)]
        if not tps:
            return {}
        committed = admin.list_group_offsets({self.group_id: None}).get(self.group_id, {})
        ends = admin.list_partition_offsets({tp: OffsetSpec.LATEST for tp in tps})
        out: dict[TopicPartition, float] = {}
        for tp in tps:
            done = committed.get(tp)
            end = ends.get(tp)
            lag = 0
            if done is not None and end is not None and done.offset >= 0:
                lag = max(0, end.offset - done.offset)
            out[TopicPartition(tp.topic, tp.partition)] = lag + self.floor
        return out
