"""Shrunk counterexamples from the differential churn tests, kept as fixed cases.

Each states the smallest input found where ours and the reference disagreed (or where ours
broke a guarantee); the ones that compare with Java run Java on the same input.
"""

from __future__ import annotations

import pytest

import strategies
from kpart.reference import JavaReference, ReferenceAssignor
from strategies.core import ClusterMetadata, MemberSubscription, TopicPartition
from strategies.metrics import rack_locality
from strategies.rounds import rebalance_rounds
from tests.reference.sidebyside import _eager_group, _wasted


def tps(*names: str) -> tuple[TopicPartition, ...]:
    return tuple(TopicPartition(n.rsplit("-", 1)[0], int(n.rsplit("-", 1)[1])) for n in names)


def racks(**by_partition: str) -> dict[TopicPartition, frozenset[str]]:
    return {tps(name.replace("_", "-"))[0]: frozenset(r.split(",")) for name, r in by_partition.items()}


@pytest.mark.integration
def test_rack_aware_range_picks_the_same_partition_as_java(java: JavaReference) -> None:
    # Both partitions live on rack b: Java gives c1 (rack b) partition 1 and c0 partition 0.
    cluster = ClusterMetadata({"t0": 2}, racks(t0_0="b", t0_1="b"))
    group = {m: MemberSubscription(m, frozenset({"t0"}), rack=r) for m, r in (("c0", "a"), ("c1", "b"))}
    expected = java.assign("range", group, cluster)
    assert expected.owned == {"c0": tps("t0-0"), "c1": tps("t0-1")}
    assert strategies.get_assignor("range").assign(group, cluster) == expected


@pytest.mark.integration
def test_rack_aware_range_keeps_co_partitioning_like_java(java: JavaReference) -> None:
    # Same subscribers, same partition count: Java keeps partition i of t0 and t1 together.
    cluster = ClusterMetadata({"t0": 2, "t1": 2}, racks(t0_0="a", t0_1="a", t1_0="b", t1_1="a"))
    group = {m: MemberSubscription(m, frozenset({"t0", "t1"}), rack=r) for m, r in (("c0", "b"), ("c1", "a"))}
    expected = java.assign("range", group, cluster)
    assert expected.owned == {"c0": tps("t0-0", "t1-0"), "c1": tps("t0-1", "t1-1")}
    assert strategies.get_assignor("range").assign(group, cluster) == expected


@pytest.mark.integration
def test_rack_aware_sticky_locality_is_at_least_javas_on_a_swap(java: JavaReference) -> None:
    # c1's t0-1 is local on c0, c0's t0-0 is local nowhere: Java swaps them, two moves for one
    # local partition, and so must we.
    cluster = ClusterMetadata({"t0": 2}, racks(t0_0="c", t0_1="a"))
    group = {
        "c0": MemberSubscription("c0", frozenset({"t0"}), tps("t0-0"), 1, "a"),
        "c1": MemberSubscription("c1", frozenset({"t0"}), tps("t0-1"), 1, "b"),
    }
    sticky = strategies.get_assignor("sticky")
    ours = sticky.assign(_eager_group(sticky, group, java=False), cluster)
    theirs = java.assign("sticky", group, cluster)
    assert rack_locality(group, cluster, theirs) == 0.5
    assert rack_locality(group, cluster, ours) >= rack_locality(group, cluster, theirs)


@pytest.mark.integration
def test_cooperative_swaps_two_partitions_when_both_become_local(java: JavaReference) -> None:
    # Each member owns the partition on the other's rack: Java swaps them over two rounds.
    cluster = ClusterMetadata({"t0": 2}, racks(t0_0="c", t0_1="b"))
    group = {
        "c0": MemberSubscription("c0", frozenset({"t0"}), tps("t0-0"), 1, "b"),
        "c1": MemberSubscription("c1", frozenset({"t0"}), tps("t0-1"), 1, "c"),
    }
    theirs = rebalance_rounds(ReferenceAssignor(java, "cooperative-sticky"), group, cluster, 1)[-1]
    rounds = rebalance_rounds(strategies.get_assignor("cooperative-sticky"), group, cluster, 1)
    assert rack_locality(group, cluster, theirs) == 1.0
    assert rack_locality(group, cluster, rounds[-1]) >= rack_locality(group, cluster, theirs)
    assert len(rounds) == 2 and _wasted(group, rounds) == 0
