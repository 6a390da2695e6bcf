"""A stand-in for kafka-python's ClusterMetadata: only what partitioners read."""

from __future__ import annotations


class FakeCluster:
    """Topic -> partition ids, with some partitions' leaders unknown."""

    def __init__(self, topics: dict[str, int], unavailable: dict[str, set[int]] | None = None):
        self.topics_ = dict(topics)
        self.unavailable = {t: set(p) for t, p in (unavailable or {}).items()}

    def topics(self) -> set[str]:
        return set(self.topics_)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        if topic not in self.topics_:
            return None
        return set(range(self.topics_[topic]))

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        parts = self.partitions_for_topic(topic)
        if parts is None:
            return None
        return parts - self.unavailable.get(topic, set())

    def leader_for_partition(self, tp) -> int | None:
        parts = self.partitions_for_topic(tp.topic)
        if parts is None or tp.partition not in parts:
            return None
        return -1 if tp.partition in self.unavailable.get(tp.topic, set()) else 0
