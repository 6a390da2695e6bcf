"""kafka-python assignors and partitioners seen through the core interfaces, so the kit can
test them. The only module of the kit that imports kafka-python."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from kafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from kafka.partitioner.abc import Partitioner as KafkaPartitioner
from kafka.protocol.consumer.metadata import (
    ConsumerProtocolAssignment,
    ConsumerProtocolSubscription,
)

from partitioning.core import PartitionView
from strategies.core import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    RebalanceProtocol,
    TopicPartition,
    partitions_by_topic,
)


def is_kafka_assignor(obj: Any) -> bool:
    return isinstance(obj, AbstractPartitionAssignor) or (
        isinstance(obj, type) and issubclass(obj, AbstractPartitionAssignor))


def is_kafka_partitioner(obj: Any) -> bool:
    return isinstance(obj, KafkaPartitioner) or (
        isinstance(obj, type) and issubclass(obj, KafkaPartitioner))


class _Member(NamedTuple):
    member_id: str
    group_instance_id: str | None
    metadata: ConsumerProtocolSubscription


class _Cluster:
    """The part of kafka-python's ``ClusterMetadata`` assignors and partitioners read."""

    def __init__(self, counts: dict[str, int], available: dict[str, set[int]] | None = None) -> None:
        self.counts = counts
        self.available = available or {}

    def topics(self) -> set[str]:
        return set(self.counts)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        n = self.counts.get(topic)
        return None if n is None else set(range(n))

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        if topic not in self.counts:
            return None
        return self.available.get(topic, set(range(self.counts[topic])))

    def leader_for_partition(self, tp: Any) -> int | None:
        if tp.partition not in (self.partitions_for_topic(tp.topic) or ()):
            return None
        return 0 if tp.partition in (self.available_partitions_for_topic(tp.topic) or ()) else -1

    def brokers(self) -> set[Any]:
        return set()


def _wire(tps: Iterable[TopicPartition]) -> list[Any]:
    return [ConsumerProtocolSubscription.TopicPartition(topic=t, partitions=p)
            for t, p in partitions_by_topic(tps)]


class KafkaPythonAssignorUnderTest(Assignor):
    """A kafka-python ``AbstractPartitionAssignor`` as a core assignor (``inner``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = str(inner.name)
        self.protocols = tuple(RebalanceProtocol(int(p)) for p in inner.supported_protocols())

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        members = [_Member(m, s.group_instance_id, ConsumerProtocolSubscription(
            version=3, topics=sorted(s.topics), user_data=s.user_data or b"",
            owned_partitions=_wire(s.owned_partitions), generation_id=s.generation,
            rack_id=s.rack)) for m, s in group.items()]
        result = self.inner.assign(_Cluster(dict(cluster.partition_counts)), members)
        return GroupAssignment.of({m: [TopicPartition(tp.topic, tp.partition) for tp in a.partitions()]
                                   for m, a in result.items()})

    def encode_user_data(self, owned: Any, generation: int) -> bytes | None:
        by_topic = partitions_by_topic(owned)
        assignment = ConsumerProtocolAssignment(version=0, assigned_partitions=by_topic,
                                                user_data=b"")
        try:
            self.inner.on_assignment(assignment, generation)
        except TypeError:
            self.inner.on_assignment(assignment)
        data = self.inner.metadata({topic for topic, _ in by_topic}).user_data
        if data is not None and not isinstance(data, (bytes, bytearray)):
            data = data.encode()  # a kafka-python struct (its sticky assignor's user data)
        return bytes(data) if data else None


class KafkaPythonPartitionerUnderTest:
    """A kafka-python ``Partitioner`` as a core partitioner (``inner``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        if callable(getattr(inner, "on_new_batch", None)):
            self.on_new_batch = self._on_new_batch

    @staticmethod
    def _cluster(view: PartitionView) -> _Cluster:
        return _Cluster({view.topic: len(view.all)}, {view.topic: set(view.available)})

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        return int(self.inner.partition(view.topic, key, key, value, value, self._cluster(view)))

    def _on_new_batch(self, view: PartitionView, prev_partition: int) -> None:
        self.inner.on_new_batch(view.topic, self._cluster(view), prev_partition)
