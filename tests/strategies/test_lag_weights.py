"""Consumer-lag weights: lag + floor, caching, failures fall back to no weights."""

from __future__ import annotations

import logging
from collections import namedtuple

from kafka.structs import TopicPartition as KTP

from strategies import ClusterMetadata, TopicPartition
from strategies.lag import ConsumerLagWeights

Offset = namedtuple("Offset", "offset")


class FakeAdmin:
    def __init__(self) -> None:
        self.calls = 0

    def list_group_offsets(self, specs):  # type: ignore[no-untyped-def]
        self.calls += 1
        assert specs == {"g": None}
        return {"g": {KTP("t", 0): Offset(40), KTP("t", 1): Offset(-1)}}

    def list_partition_offsets(self, specs):  # type: ignore[no-untyped-def]
        return {tp: Offset(100) for tp in specs}


def test_weight_is_lag_plus_floor_and_cached() -> None:
    admin = FakeAdmin()
    weights = ConsumerLagWeights("g", floor=1.0, cache_seconds=60, admin=admin)
    meta = ClusterMetadata({"t": 3})
    got = weights(meta)
    assert got == {TopicPartition("t", 0): 61.0, TopicPartition("t", 1): 1.0,
                   TopicPartition("t", 2): 1.0}
    weights(meta)
    assert admin.calls == 1


class BrokenAdmin:
    def list_group_offsets(self, specs):  # type: ignore[no-untyped-def]
        raise TimeoutError("coordinator not available")


def test_failure_logs_and_returns_no_weights(caplog) -> None:
    weights = ConsumerLagWeights("g", admin=BrokenAdmin())
    with caplog.at_level(logging.WARNING, logger="strategies"):
        assert weights(ClusterMetadata({"t": 1})) == {}
    assert "coordinator not available" in caplog.text
