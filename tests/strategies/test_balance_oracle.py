"""Balance against a brute-force oracle: every valid assignment of a small group, enumerated.

For groups of at most 5 members and 8 partitions with mixed subscriptions, :func:`reachable`
walks the partitions one by one and gives each to every subscriber in turn, so it reaches the
count vector of every valid assignment (identical vectors merged, nothing pruned). From those
vectors come the smallest possible spread (max - min count) and the smallest sum of squared
counts. What each built-in assignor guarantees, and what is tested here:

* ``sticky`` and ``cooperative-sticky`` (once settled) reach *both* minima for any
  subscriptions, any previous ownership and any racks: the count vector is the most even one
  the subscriptions allow, not merely one no single steal improves;
* ``roundrobin`` reaches the minimum spread with identical subscriptions only; with mixed
  subscriptions it deals blindly and can be worse (an example below shows by how much);
* ``range`` balances each topic on its own (every topic's counts among its subscribers are as
  even as that topic allows); with identical subscriptions its spread is the number of topics
  whose partition count its subscribers do not divide, which can exceed the minimum.
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import example, given, settings
from hypothesis import strategies as st

from strategies import (
    ClusterMetadata,
    CooperativeStickyAssignor,
    GroupAssignment,
    GroupSubscription,
    MemberSubscription,
    TopicPartition,
    get_assignor,
    rebalance_rounds,
)

TOPICS = ("t0", "t1", "t2")
RACKS = ("r0", "r1")
MAX_MEMBERS = 5
MAX_PARTITIONS = 8

Counts = tuple[int, ...]


def reachable(group: GroupSubscription, cluster: ClusterMetadata) -> set[Counts]:
    """The count vector (members in sorted order) of every valid assignment of ``group``."""
    members = sorted(group)
    vectors: set[Counts] = {(0,) * len(members)}
    for topic in sorted({t for s in group.values() for t in s.topics}):
        takers = [i for i, m in enumerate(members) if topic in group[m].topics]
        for _ in cluster.partitions_of(topic):
            vectors = {v[:i] + (v[i] + 1,) + v[i + 1:] for v in vectors for i in takers}
    return vectors


def spread_of(counts: Iterable[int]) -> int:
    values = list(counts)
    return max(values) - min(values)


def squares_of(counts: Iterable[int]) -> int:
    return sum(c * c for c in counts)


def counts_of(group: GroupSubscription, a: GroupAssignment) -> Counts:
    return tuple(len(a.owned.get(m, ())) for m in sorted(group))


@st.composite
def small_cases(draw: st.DrawFn, same_topics: bool = False, racks: bool = True
                ) -> tuple[GroupSubscription, ClusterMetadata]:
    """A group of 1-5 members and a cluster of at most 8 partitions over three topics;
    mixed subscriptions (unless ``same_topics``), random previous ownership, optional racks."""
    sizes = draw(st.lists(st.integers(0, 4), min_size=len(TOPICS), max_size=len(TOPICS))
                 .filter(lambda s: sum(s) <= MAX_PARTITIONS))
    counts = dict(zip(TOPICS, sizes, strict=True))
    partitions = [TopicPartition(t, p) for t, n in counts.items() for p in range(n)]
    racked = racks and draw(st.booleans())
    replica_racks = {tp: frozenset(draw(st.sets(st.sampled_from(RACKS), min_size=1)))
                     for tp in partitions} if racked else {}
    cluster = ClusterMetadata(counts, replica_racks)
    n = draw(st.integers(1, MAX_MEMBERS))
    shared = draw(st.sets(st.sampled_from(TOPICS), min_size=1))
    ids = [f"m{i}" for i in range(n)]
    previous = {tp: draw(st.sampled_from([*ids, None])) for tp in partitions}
    group = {}
    for mid in ids:
        topics = shared if same_topics else draw(st.sets(st.sampled_from(TOPICS), min_size=1))
        owned = tuple(tp for tp, owner in previous.items() if owner == mid)
        group[mid] = MemberSubscription(
            mid, topics, owned_partitions=owned, generation=1 if owned else -1,
            rack=draw(st.sampled_from([*RACKS, None])) if racked else None)
    return group, cluster


def test_the_oracle_enumerates_every_assignment_of_a_tiny_group() -> None:
    """Two members, t0 (2 partitions) for both, t1 (1 partition) for m1 only: m0 can own 0-2."""
    group = {"m0": MemberSubscription("m0", {"t0"}), "m1": MemberSubscription("m1", {"t0", "t1"})}
    assert reachable(group, ClusterMetadata({"t0": 2, "t1": 1})) == {(0, 3), (1, 2), (2, 1)}


@settings(max_examples=300, deadline=None)
@given(small_cases(), st.sampled_from(["sticky", "cooperative-sticky"]))
@example(  # one member's topic is another's only topic: the even split needs a chain of two moves
    ({"a": MemberSubscription("a", {"t0"}), "b": MemberSubscription("b", {"t0", "t1"}),
      "c": MemberSubscription("c", {"t1", "t2"})}, ClusterMetadata({"t0": 1, "t1": 2, "t2": 3})),
    "sticky")
def test_sticky_assignors_reach_the_most_even_counts_possible(case, name) -> None:
    group, cluster = case
    a = get_assignor(name).assign(group, cluster)
    if name == "cooperative-sticky":  # a first round withholds what changes owner; settle it
        a = rebalance_rounds(CooperativeStickyAssignor(), group, cluster, generation=2)[-1]
    vectors = reachable(group, cluster)
    counts = counts_of(group, a)
    assert counts in vectors
    assert spread_of(counts) == min(map(spread_of, vectors)), (counts, cluster)
    assert squares_of(counts) == min(map(squares_of, vectors)), (counts, cluster)


@settings(max_examples=200, deadline=None)
@given(small_cases())
def test_cooperative_settled_target_is_as_even_as_possible(case) -> None:
    group, cluster = case
    target = CooperativeStickyAssignor().settled_target(group, cluster)
    vectors = reachable(group, cluster)
    assert squares_of(counts_of(group, target)) == min(map(squares_of, vectors))


@settings(max_examples=200, deadline=None)
@given(small_cases(same_topics=True, racks=False))
def test_roundrobin_reaches_the_minimum_spread_with_identical_subscriptions(case) -> None:
    group, cluster = case
    counts = counts_of(group, get_assignor("roundrobin").assign(group, cluster))
    assert spread_of(counts) == min(map(spread_of, reachable(group, cluster)))


def test_roundrobin_with_mixed_subscriptions_can_miss_the_minimum() -> None:
    """Java's documented example: c owns everything of t2 and half of t1; spread 3, not 2."""
    group = {"a": MemberSubscription("a", {"t0"}), "b": MemberSubscription("b", {"t0", "t1"}),
             "c": MemberSubscription("c", {"t0", "t1", "t2"})}
    cluster = ClusterMetadata({"t0": 1, "t1": 2, "t2": 3})
    counts = counts_of(group, get_assignor("roundrobin").assign(group, cluster))
    assert (spread_of(counts), min(map(spread_of, reachable(group, cluster)))) == (3, 2)


@settings(max_examples=200, deadline=None)
@given(small_cases())
def test_range_balances_each_topic_as_evenly_as_that_topic_allows(case) -> None:
    group, cluster = case
    a = get_assignor("range").assign(group, cluster)
    for topic in TOPICS:
        alone = {m: s for m, s in group.items() if topic in s.topics}
        if not alone:
            continue
        only = ClusterMetadata({topic: len(cluster.partitions_of(topic))})
        per_member = [sum(1 for tp in a.owned.get(m, ()) if tp.topic == topic) for m in sorted(alone)]
        assert spread_of(per_member) == min(map(spread_of, reachable(alone, only))), topic


@settings(max_examples=200, deadline=None)
@given(small_cases(same_topics=True, racks=False))
def test_range_spread_with_identical_subscriptions_is_one_per_uneven_topic(case) -> None:
    group, cluster = case
    topics = next(iter(group.values())).topics
    uneven = sum(1 for t in topics if len(cluster.partitions_of(t)) % len(group))
    counts = counts_of(group, get_assignor("range").assign(group, cluster))
    assert spread_of(counts) == (uneven if len(group) > 1 else 0)
