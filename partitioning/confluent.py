"""confluent-kafka adapter: route records with any of our partitioners through ``produce(partition=...)``.

confluent-kafka (librdkafka) takes no Python partitioner, so :class:`ConfluentRouter` computes
the partition and passes it to ``Producer.produce``::

    from confluent_kafka import Producer
    from partitioning.confluent import ConfluentRouter

    producer = Producer({"bootstrap.servers": "127.0.0.1:9092"})
    router = ConfluentRouter(producer, "murmur2")      # a registered name or a core partitioner
    router.produce("orders", value=b"...", key=b"user-1")
    producer.poll(0)                                    # serves delivery reports, as usual

- Keyed records: the core's mapping over all partitions of the topic, so ``consistent``,
  ``consistent_random``, ``murmur2_random``, ``fnv1a`` and ``fnv1a_random`` put every key where
  librdkafka's ``partitioner`` of the same name would, and ``murmur2`` where Java would.
- Keyless records to a uniform-sticky partitioner (``murmur2``, ``jump``, ...; every record
  for ``uniform_sticky``, which ignores keys):
  sticky by bytes like Java (KIP-794), driven by delivery reports -- once at least
  ``batch_size`` bytes went to the sticky partition, the first delivery report for it (its
  batch has left librdkafka, so the next record would open a new one) moves it on; it always
  moves at ``2 * batch_size``. Delivery reports arrive only from ``poll()``/``flush()``.
- ``field`` routing gets the unserialized record (pass ``key_serializer``/``value_serializer``
  to produce bytes from it).

The topic's partitions come from ``producer.list_topics(topic)``, cached for
``metadata_max_age_s``. To make a plain confluent-kafka producer agree with Java producers
without routing in Python, use ``Producer(java_compatible(config))`` (librdkafka's
``partitioner=murmur2_random``: Java's murmur2 for keyed records).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from kpart.extras import require
from partitioning import registry
from partitioning.core import (
    Partitioner,
    PartitioningError,
    PartitionView,
    RecordPartitioner,
    check_key,
    routed,
)
from partitioning.sticky import UniformStickyPartitioner, sticky_state_of

require("confluent_kafka", "confluent-kafka")

JAVA_COMPATIBLE: Mapping[str, str] = {"partitioner": "murmur2_random"}
"""librdkafka settings under which keyed records land where the Java client puts them."""

Serializer = Callable[[Any], bytes | None]
DeliveryCallback = Callable[[Any, Any], None]


def java_compatible(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with librdkafka's ``partitioner`` set to ``murmur2_random`` (Java's mapping).

    Raises ``ValueError`` if ``config`` already names another partitioner.
    """
    chosen = config.get("partitioner", JAVA_COMPATIBLE["partitioner"])
    if chosen != JAVA_COMPATIBLE["partitioner"]:
        raise ValueError(f"config sets partitioner={chosen!r}; Java-compatible needs murmur2_random")
    return {**config, **JAVA_COMPATIBLE}


def _as_bytes(data: Any, what: str) -> bytes | None:
    if isinstance(data, str):
        return data.encode("utf-8")  # what confluent-kafka sends for a str
    try:
        return check_key(data)
    except PartitioningError:
        raise PartitioningError(
            f"{what} must be bytes, str or None, got {type(data).__name__}; pass a {what}_serializer"
        ) from None


class ConfluentRouter:
    """Routes records of ``producer`` (a ``confluent_kafka.Producer``) with a core partitioner."""

    def __init__(
        self,
        producer: Any,
        partitioner: Any,
        *,
        key_serializer: Serializer | None = None,
        value_serializer: Serializer | None = None,
        metadata_max_age_s: float = 30.0,
        metadata_timeout_s: float = 10.0,
    ) -> None:
        self.core: Partitioner = registry.create(partitioner) if isinstance(partitioner, str) else partitioner
        if not isinstance(self.core, Partitioner):
            raise TypeError(f"{type(self.core).__name__} has no partition(key, value, view) method")
        self.producer = producer
        self._by_record = isinstance(self.core, RecordPartitioner)
        self._sticky = sticky_state_of(self.core)
        self._sticky_all = isinstance(self.core, UniformStickyPartitioner)  # keys ignored too
        self._key_serializer = key_serializer
        self._value_serializer = value_serializer
        self._max_age = metadata_max_age_s
        self._timeout = metadata_timeout_s
        self._views: dict[str, tuple[float, PartitionView]] = {}

    def view(self, topic: str) -> PartitionView:
        """The topic's partitions (all, and those with a leader), refreshed every ``metadata_max_age_s``."""
        now = time.monotonic()
        cached = self._views.get(topic)
        if cached is not None and now - cached[0] < self._max_age:
            return cached[1]
        meta = self.producer.list_topics(topic, timeout=self._timeout).topics.get(topic)
        if meta is None or meta.error is not None or not meta.partitions:
            reason = "not found" if meta is None or meta.error is None else str(meta.error)
            raise PartitioningError(f"topic {topic!r} has no partitions ({reason})")
        parts = meta.partitions
        view = PartitionView(topic, sorted(parts), [p for p, pm in parts.items() if pm.leader >= 0])
        self._views[topic] = (now, view)
        return view

    def route(self, topic: str, key: Any = None, value: Any = None) -> tuple[int, bytes | None, bytes | None]:
        """(partition, key bytes, value bytes) for one record; raises ``PartitioningError``."""
        k = key if self._key_serializer is None or key is None else self._key_serializer(key)
        v = value if self._value_serializer is None or value is None else self._value_serializer(value)
        k, v = _as_bytes(k, "key"), _as_bytes(v, "value")
        return routed(self.core, self._by_record, self.view(topic), key, value, k, v), k, v

    def produce(self, topic: str, value: Any = None, key: Any = None,
                on_delivery: DeliveryCallback | None = None, **kwargs: Any) -> int:
        """``producer.produce(topic, value, key, partition=<routed>, ...)``; returns the partition."""
        p, k, v = self.route(topic, key, value)
        if self._sticky is not None and (k is None or self._sticky_all):
            on_delivery = self._batch_sent_callback(topic, on_delivery)
        if on_delivery is not None:
            kwargs["on_delivery"] = on_delivery
        self.producer.produce(topic, v, k, partition=p, **kwargs)
        return p

    def _batch_sent_callback(self, topic: str, user: DeliveryCallback | None) -> DeliveryCallback:
        sticky, views = self._sticky, self._views
        assert sticky is not None

        def delivered(err: Any, msg: Any) -> None:
            if err is None and topic in views:
                sticky.on_batch_sent(views[topic][1], msg.partition())
            if user is not None:
                user(err, msg)

        return delivered


def router(producer: Any, name: str, **options: Any) -> ConfluentRouter:
    """A :class:`ConfluentRouter` for the partitioner called ``name`` built with ``options``."""
    return ConfluentRouter(producer, registry.create(name, **options))
