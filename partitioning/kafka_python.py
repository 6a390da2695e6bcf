"""kafka-python adapter: every partitioner becomes a ``kafka.partitioner.abc.Partitioner``.

>>> producer = KafkaProducer(partitioner=partitioning.kafka_python.create("murmur2"))

The adapter builds a :class:`~partitioning.core.PartitionView` from kafka-python's
``ClusterMetadata`` (all partitions; available = leader known, computed only when used) and
calls the core partitioner. Partitioners with a new-batch hook get an adapter exposing
``on_new_batch(topic, cluster, prev_partition)``, which kafka-python calls for keyless records
when a new batch would start. Content-routing partitioners (``partition_record``) receive the
unserialized key and value too.

Load view: kafka-python 3.0 has no public view of queued batches. :meth:`attach` reads the
number of queued batches per partition from the producer's ``RecordAccumulator`` (through
:mod:`kpart.compat.kafka_python`, which refuses kafka-python versions it does not know) when an
adaptive partitioner picks a new partition; without ``attach`` adaptive partitioners fall back
to uniform choice. ``attach`` raises at once if the producer lacks what the view reads.

Thread-safe: the core partitioners guard their state with locks; the adapter only caches
immutable per-topic views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpart.extras import require

require("kafka", "kafka-python")  # one line naming the extra when kafka-python is missing

from kafka.partitioner.abc import Partitioner as KafkaPartitioner
from kafka.structs import TopicPartition

from kpart.compat import kafka_python as compat
from partitioning import registry
from partitioning.core import (
    LoadSource,
    NewBatchAware,
    Partitioner,
    PartitioningError,
    PartitionView,
    RecordPartitioner,
    routed,
)


def accumulator_load(producer: Any) -> LoadSource:
    """Queued batches per partition of a topic, read from a kafka-python producer.

    Raises :class:`~kpart.compat.kafka_python.KafkaPythonCompatError` at once if the producer
    has no record batches where the compatibility module expects them.
    """
    batches = compat.accumulator_batches(producer)

    def load(topic: str) -> Mapping[int, int] | None:
        return {tp.partition: len(dq) for tp, dq in list(batches.items()) if tp.topic == topic}

    return load


class ClusterView(PartitionView):
    """A :class:`PartitionView` that reads availability and load from kafka-python on each use.

    Immutable, so one instance per topic is shared by every call while the topic's partitions
    stay the same.
    """

    __slots__ = ("_cluster", "_load_source")

    def __init__(self, topic: str, all: tuple[int, ...], cluster: Any, load: LoadSource | None) -> None:
        self.topic, self.all, self._cluster, self._load_source = topic, all, cluster, load
        self._available = self._available_fn = self._load = self._load_fn = None
        self._ids = frozenset(all)

    @property
    def available(self) -> tuple[int, ...]:
        return tuple(sorted(self._cluster.available_partitions_for_topic(self.topic) or ()))

    @property
    def load(self) -> Mapping[int, int] | None:
        return None if self._load_source is None else self._load_source(self.topic)

    def usable(self, partition: int) -> bool:
        leader = self._cluster.leader_for_partition(TopicPartition(self.topic, partition))
        return (leader is not None and leader != -1) or super().usable(partition)


class KafkaPythonPartitioner(KafkaPartitioner):
    """Wraps a core partitioner for ``KafkaProducer(partitioner=...)``; ``.core`` is the wrapped one."""

    def __init__(self, core: Partitioner) -> None:
        if not isinstance(core, Partitioner):
            raise TypeError(f"{type(core).__name__} has no partition(key, value, view) method")
        self.core = core
        self._by_record = isinstance(core, RecordPartitioner)
        self._load: LoadSource | None = None
        self._views: dict[str, tuple[set[int], Any, ClusterView]] = {}

    def attach(self, producer: Any) -> KafkaPythonPartitioner:
        """Give adaptive partitioners the producer's queued batches as their load view."""
        self._load = accumulator_load(producer)
        self._views.clear()
        return self

    def view(self, topic: str, cluster: Any) -> PartitionView:
        """The core's view of ``topic`` in ``cluster``; raises for unknown or empty topics."""
        partitions = cluster.partitions_for_topic(topic)
        cached = self._views.get(topic)
        if cached is not None and cached[1] is cluster and cached[0] == partitions:
            return cached[2]
        if partitions is None:
            raise PartitioningError(f"topic {topic!r} not found in cluster metadata")
        if not partitions:
            raise PartitioningError(f"topic {topic!r} has no partitions")
        view = ClusterView(topic, tuple(sorted(partitions)), cluster, self._load)
        self._views[topic] = (partitions, cluster, view)
        return view

    def partition(
        self,
        topic: str,
        key: Any,
        serialized_key: bytes | None,
        value: Any,
        serialized_value: bytes | None,
        cluster: Any,
    ) -> int:
        return routed(self.core, self._by_record, self.view(topic, cluster), key, value,
                      serialized_key, serialized_value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.core!r})"


class KafkaPythonStickyPartitioner(KafkaPythonPartitioner):
    """Adapter for partitioners with a new-batch hook; kafka-python finds ``on_new_batch``."""

    def __init__(self, core: Partitioner) -> None:
        super().__init__(core)
        if not isinstance(core, NewBatchAware):
            raise TypeError(f"{type(core).__name__} has no on_new_batch(view, prev_partition) method")
        self._hook: NewBatchAware = core

    def on_new_batch(self, topic: str, cluster: Any, prev_partition: int) -> None:
        partitions = cluster.partitions_for_topic(topic)
        if not partitions:
            return  # topic gone: the following partition() call reports it
        self._hook.on_new_batch(self.view(topic, cluster), prev_partition)


def adapt(core: Any) -> KafkaPythonPartitioner:
    """Wrap ``core`` (returned unchanged if it already is a kafka-python partitioner); a core
    that is :class:`~partitioning.core.NewBatchAware` gets the adapter kafka-python tells of
    new batches."""
    if isinstance(core, KafkaPartitioner):
        return core  # type: ignore[no-any-return]
    wrapper = KafkaPythonStickyPartitioner if isinstance(core, NewBatchAware) else KafkaPythonPartitioner
    return wrapper(core)


def create(name: str, **options: Any) -> KafkaPythonPartitioner:
    """``adapt(registry.create(name, **options))``: ready for ``KafkaProducer(partitioner=...)``."""
    return adapt(registry.create(name, **options))
