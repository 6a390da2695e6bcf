"""Checks of the assignment guarantees: the conformance kit's own (``kpart.testing``)."""

from __future__ import annotations

from kpart.testing import check_no_steal, check_valid, identical, retained, subscribed_partitions
from kpart.testing.oracle import fewest_moves_identical
from strategies import ClusterMetadata, GroupAssignment, GroupSubscription, TopicPartition

assert_valid = check_valid
__all__ = ["assert_balanced", "assert_valid", "identical", "max_retainable", "retained",
           "subscribed_partitions"]


def assert_balanced(group: GroupSubscription, a: GroupAssignment) -> None:
    """No member could take a partition from a member owning 2+ more."""
    check_no_steal(group, a, 1)


def max_retainable(previous: dict[str, set[TopicPartition]], group: GroupSubscription,
                   cluster: ClusterMetadata) -> int:
    """Most previous ownership any balanced assignment can keep (identical subscriptions)."""
    from kpart.testing.oracle import previous_owners

    return len(previous_owners(group, cluster, previous)) - fewest_moves_identical(group, cluster, previous)
