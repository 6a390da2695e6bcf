"""Checks of an assignment against the guarantees every assignor owes, independent of any
assignor's code. Each raises :class:`Violation` naming what was wrong; none needs hypothesis."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from strategies.core import ClusterMetadata, GroupAssignment, GroupSubscription, TopicPartition

Ownership = Mapping[str, "set[TopicPartition] | tuple[TopicPartition, ...] | list[TopicPartition]"]


class Violation(AssertionError):
    """A guarantee does not hold; the message says which member and partition broke it.

    ``case`` is the input that broke it and ``assignment`` what the assignor returned, when
    known (the suite fills them in for its report).
    """

    def __init__(self, message: str, assignment: GroupAssignment | None = None) -> None:
        super().__init__(message)
        self.assignment = assignment
        self.case: object | None = None

    def with_case(self, case: object) -> Violation:
        """This violation, blaming ``case``."""
        self.case = case
        return self


def subscribed_partitions(group: GroupSubscription, cluster: ClusterMetadata) -> set[TopicPartition]:
    """Every partition of every topic some member subscribes to (unknown topics have none)."""
    topics = set().union(*(s.topics for s in group.values())) if group else set()
    return {TopicPartition(t, p) for t in topics for p in range(cluster.partition_counts.get(t, 0))}


def identical(group: GroupSubscription) -> bool:
    """True when every member subscribes to the same topics."""
    return len({s.topics for s in group.values()}) <= 1


def check_owned_once(group: GroupSubscription, cluster: ClusterMetadata, a: GroupAssignment,
                     complete: bool = True) -> None:
    """``a`` names every member of ``group`` and nobody else, owns no partition twice, and, when
    ``complete``, owns every subscribed partition."""
    if not isinstance(a, GroupAssignment):
        raise Violation(f"assign returned {type(a).__name__}, not a GroupAssignment")
    if set(a.owned) != set(group):
        missing, extra = sorted(set(group) - set(a.owned)), sorted(set(a.owned) - set(group))
        raise Violation(f"members missing from the assignment: {missing}; not in the group: {extra}")
    seen = Counter(tp for tps in a.owned.values() for tp in tps)
    twice = sorted(tp for tp, n in seen.items() if n > 1)
    if twice:
        owners = sorted(m for m, tps in a.owned.items() if twice[0] in tps)
        raise Violation(f"{twice[0]} is owned by {len(owners)} members {owners} "
                        f"({len(twice)} partition(s) owned twice)")
    if complete:
        unowned = sorted(subscribed_partitions(group, cluster) - set(seen))
        if unowned:
            raise Violation(f"{len(unowned)} subscribed partition(s) owned by nobody, e.g. {unowned[0]}")


def check_only_subscribed(group: GroupSubscription, cluster: ClusterMetadata,
                          a: GroupAssignment) -> None:
    """Nobody owns a partition that does not exist or of a topic it does not subscribe to."""
    for m in sorted(a.owned):
        if m not in group:
            raise Violation(f"the assignment names {m!r}, which is not in the group")
        for tp in a.owned[m]:
            if not cluster.has_partition(tp):
                raise Violation(f"member {m!r} owns {tp}, which does not exist")
            if tp.topic not in group[m].topics:
                raise Violation(f"member {m!r} owns {tp} but does not subscribe to {tp.topic!r}")


def check_valid(group: GroupSubscription, cluster: ClusterMetadata, a: GroupAssignment,
                complete: bool = True) -> None:
    """:func:`check_owned_once` and :func:`check_only_subscribed`."""
    check_owned_once(group, cluster, a, complete)
    check_only_subscribed(group, cluster, a)


def spread(a: GroupAssignment) -> int:
    """Largest minus smallest partition count over the members (0 for an empty group)."""
    counts = list(a.counts().values())
    return max(counts) - min(counts) if counts else 0


def check_spread(a: GroupAssignment, bound: int) -> None:
    """Partition counts differ by at most ``bound``."""
    if spread(a) > bound:
        counts = a.counts()
        hi, lo = max(counts, key=counts.__getitem__), min(counts, key=counts.__getitem__)
        raise Violation(f"counts differ by {spread(a)} > {bound}: {hi!r} owns {counts[hi]}, "
                        f"{lo!r} owns {counts[lo]}")


def check_no_steal(group: GroupSubscription, a: GroupAssignment, bound: int = 1) -> None:
    """No member could take a partition of a topic it subscribes to from a member owning more
    than ``bound`` more partitions (with identical subscriptions: counts within ``bound``)."""
    counts = a.counts()
    for m in sorted(a.owned):
        for other in sorted(group):
            if counts[m] - counts[other] > bound:
                takeable = [tp for tp in a.owned[m] if tp.topic in group[other].topics]
                if takeable:
                    raise Violation(f"{other!r} (owning {counts[other]}) could take {takeable[0]} "
                                    f"from {m!r} (owning {counts[m]})")


def retained(previous: Ownership, a: GroupAssignment) -> int:
    """How many partitions stay with the member that owned them in ``previous``."""
    return sum(len(set(previous.get(m, ())) & set(tps)) for m, tps in a.owned.items())
