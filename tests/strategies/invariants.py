"""Checks of the assignment guarantees, written independently of the code under test."""

from __future__ import annotations

from collections import Counter

from strategies import ClusterMetadata, GroupAssignment, GroupSubscription, TopicPartition


def subscribed_partitions(group: GroupSubscription, cluster: ClusterMetadata) -> set[TopicPartition]:
    topics = set().union(*(s.topics for s in group.values())) if group else set()
    return {TopicPartition(t, p) for t in topics for p in range(cluster.partition_counts.get(t, 0))}


def assert_valid(group: GroupSubscription, cluster: ClusterMetadata, a: GroupAssignment,
                 complete: bool = True) -> None:
    """Each member present; nobody owns an unsubscribed topic; no partition twice; all owned."""
    assert set(a.owned) == set(group)
    seen = Counter(tp for tps in a.owned.values() for tp in tps)
    assert all(n == 1 for n in seen.values()), [tp for tp, n in seen.items() if n > 1]
    for m, tps in a.owned.items():
        assert all(tp.topic in group[m].topics for tp in tps), (m, tps)
        assert all(0 <= tp.partition < cluster.partition_counts.get(tp.topic, 0) for tp in tps)
    if complete:
        assert set(seen) == subscribed_partitions(group, cluster)


def assert_balanced(group: GroupSubscription, a: GroupAssignment) -> None:
    """No member could take a partition from a member owning 2+ more (counts within 1 when
    subscriptions are identical)."""
    counts = a.counts()
    for m, tps in a.owned.items():
        for other in group:
            if counts[m] - counts[other] >= 2:
                assert not any(tp.topic in group[other].topics for tp in tps), (m, other, counts)


def identical(group: GroupSubscription) -> bool:
    return len({s.topics for s in group.values()}) <= 1


def max_retainable(previous: dict[str, set[TopicPartition]], group: GroupSubscription,
                   cluster: ClusterMetadata) -> int:
    """Most previous ownership any balanced assignment can keep (identical subscriptions)."""
    total = len(subscribed_partitions(group, cluster))
    if not group:
        return 0
    q, r = divmod(total, len(group))
    valid = {m: {tp for tp in previous.get(m, ()) if tp.topic in group[m].topics
                 and tp.partition < cluster.partition_counts.get(tp.topic, 0)} for m in group}
    over = sum(1 for v in valid.values() if len(v) > q)
    return sum(min(len(v), q) for v in valid.values()) + min(r, over)


def retained(previous: dict[str, set[TopicPartition]], a: GroupAssignment) -> int:
    return sum(len(previous.get(m, set()) & set(tps)) for m, tps in a.owned.items())
