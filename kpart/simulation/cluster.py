"""The cluster as the simulator tracks it: topics, brokers that are up, replica racks."""

from __future__ import annotations

from kpart.simulation.model import Broker, Topic
from strategies import ClusterMetadata, TopicPartition


class ClusterState:
    """Mutable cluster state; :meth:`metadata` is the assignors' view of it (cached).

    Replicas are placed round-robin over brokers in id order, starting at an offset that
    differs per topic, so brokers listed with alternating racks give every partition replicas
    on distinct racks. Only brokers that are up count for a partition's racks.
    """

    def __init__(self, brokers: tuple[Broker, ...], topics: tuple[Topic, ...]) -> None:
        self.brokers = tuple(sorted(brokers, key=lambda b: b.id))
        self.up = {b.id for b in brokers}
        self.topics: dict[str, Topic] = {}
        self._order: dict[str, int] = {}
        for t in topics:
            self.add_topic(t)
        self._metadata: ClusterMetadata | None = None

    @property
    def has_racks(self) -> bool:
        return any(b.rack is not None for b in self.brokers)

    def add_topic(self, topic: Topic) -> None:
        self._order.setdefault(topic.name, len(self._order))
        self.topics[topic.name] = topic
        self._metadata = None

    def grow(self, topic: str, partitions: int) -> None:
        old = self.topics[topic]
        self.topics[topic] = Topic(topic, partitions, old.replication)
        self._metadata = None

    def brokers_down(self, ids: set[int]) -> None:
        self.up -= ids
        self._metadata = None

    def count(self, topic: str) -> int:
        t = self.topics.get(topic)
        return t.partitions if t else 0

    def partitions(self, topics: frozenset[str] | set[str]) -> list[TopicPartition]:
        """Every partition of the given topics that exist."""
        return [TopicPartition(t, p) for t in sorted(topics) for p in range(self.count(t))]

    def replica_racks(self, tp: TopicPartition) -> frozenset[str]:
        """Racks of the live replicas of ``tp``."""
        return self.metadata().replica_racks.get(tp, frozenset())

    def metadata(self) -> ClusterMetadata:
        if self._metadata is None:
            racks: dict[TopicPartition, frozenset[str]] = {}
            if self.has_racks:
                n = len(self.brokers)
                for name, t in self.topics.items():
                    offset = self._order[name]
                    for p in range(t.partitions):
                        chosen = [self.brokers[(p + offset + i) % n] for i in range(min(t.replication, n))]
                        racks[TopicPartition(name, p)] = frozenset(
                            b.rack for b in chosen if b.id in self.up and b.rack is not None)
            self._metadata = ClusterMetadata({n: t.partitions for n, t in self.topics.items()}, racks)
        return self._metadata
