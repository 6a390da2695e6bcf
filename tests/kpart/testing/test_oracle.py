"""The min-cost-flow stickiness oracle against the closed form and hand-computed optima."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kpart.testing import generators as gen
from kpart.testing.oracle import fewest_moves, fewest_moves_identical, moves
from strategies import ClusterMetadata, MemberSubscription, TopicPartition


@st.composite
def identical_groups(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    cluster = draw(gen.clusters())
    group = draw(gen.members(9, same_topics=True))
    previous = draw(gen.ownership(group, cluster))
    # Members that left still appear in the previous assignment; their partitions are free.
    previous.update(draw(st.dictionaries(st.sampled_from(["gone-1", "gone-2"]),
                                         st.lists(st.builds(TopicPartition, st.sampled_from(gen.TOPICS),
                                                            st.integers(0, 12)), max_size=5))))
    return group, cluster, previous


@settings(max_examples=150, deadline=None)
@given(identical_groups())
def test_flow_optimum_equals_the_closed_form_with_identical_subscriptions(x) -> None:  # type: ignore[no-untyped-def]
    group, cluster, previous = x
    assert fewest_moves(group, cluster, previous).moves == fewest_moves_identical(group, cluster, previous)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_no_balanced_assignment_moves_fewer_than_the_optimum(data: st.DataObject) -> None:
    # Any assignment with the optimal sum of squares moves at least the oracle's minimum.
    cluster = data.draw(gen.clusters())
    group = data.draw(gen.members(5, missing=False))
    previous = data.draw(gen.ownership(group, cluster))
    best = fewest_moves(group, cluster, previous)
    from strategies import StickyAssignor

    other = StickyAssignor().assign(group, cluster)
    counts = other.counts().values()
    if sum(c * c for c in counts) == best.sum_of_squares:
        assert moves(group, cluster, previous, other.owned) >= best.moves


def test_mixed_subscriptions_hand_computed() -> None:
    # a: t0 (4 partitions, owns all); b: t0 and t1 (t1 has 2). Balanced counts are 3/3, so a
    # must give one t0 partition to b: exactly one move.
    cluster = ClusterMetadata({"t0": 4, "t1": 2})
    group = {"a": MemberSubscription("a", {"t0"}), "b": MemberSubscription("b", {"t0", "t1"})}
    previous = {"a": tuple(TopicPartition("t0", p) for p in range(4))}
    assert fewest_moves(group, cluster, previous).moves == 1
    assert fewest_moves(group, cluster, previous).sum_of_squares == 18
    # With t1 at 4 partitions b already has its share: nothing must move.
    assert fewest_moves(group, ClusterMetadata({"t0": 4, "t1": 4}), previous).moves == 0


def test_moves_of_unsubscribed_or_departed_owners_are_not_counted() -> None:
    cluster = ClusterMetadata({"t0": 2})
    group = {"a": MemberSubscription("a", {"t0"})}
    previous = {"a": (TopicPartition("t9", 0),), "gone": (TopicPartition("t0", 0),)}
    assert fewest_moves(group, cluster, previous).moves == 0
    assert moves(group, cluster, previous, {"a": ()}) == 0
