"""Rack-aware sticky: kept partitions move for locality only in swaps that gain locality.

A swap that moves kept partitions gains at least one local partition and moves at most one
more partition than it gains (one for one, two for two, or two for one).
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import (
    ClusterMetadata,
    CooperativeStickyAssignor,
    GroupAssignment,
    MemberSubscription,
    StickyAssignor,
    TopicPartition,
    rebalance_rounds,
)
from strategies.balance import sticky_assignment
from strategies.metrics import rack_locality
from tests.strategies.invariants import assert_balanced, assert_valid

RACKS = ["r0", "r1", "r2"]
TOPICS = ["t", "u", "v"]


def test_two_members_swap_partitions_held_off_rack() -> None:
    tp = TopicPartition
    meta = ClusterMetadata({"t": 2}, {tp("t", 0): frozenset({"r1"}), tp("t", 1): frozenset({"r0"})})
    group = {"a": MemberSubscription("a", {"t"}, rack="r0", owned_partitions=(tp("t", 0),),
                                     generation=3),
             "b": MemberSubscription("b", {"t"}, rack="r1", owned_partitions=(tp("t", 1),),
                                     generation=3)}
    a = StickyAssignor().assign(group, meta)
    assert a.owned == {"a": (tp("t", 1),), "b": (tp("t", 0),)}


def test_two_kept_partitions_move_for_one_local_partition() -> None:
    tp = TopicPartition
    # b's t-1 would be local on a; a's t-0 is local nowhere, so it can go to b for nothing.
    meta = ClusterMetadata({"t": 2}, {tp("t", 0): frozenset({"r2"}), tp("t", 1): frozenset({"r0"})})
    group = {"a": MemberSubscription("a", {"t"}, rack="r0", owned_partitions=(tp("t", 0),),
                                     generation=3),
             "b": MemberSubscription("b", {"t"}, rack="r1", owned_partitions=(tp("t", 1),),
                                     generation=3)}
    a = StickyAssignor().assign(group, meta)
    assert a.owned == {"a": (tp("t", 1),), "b": (tp("t", 0),)}


def test_a_kept_partition_does_not_move_when_the_swap_gains_nothing() -> None:
    tp = TopicPartition
    # a's t-0 would be local on b, but b's t-1 is local on b and remote on a: no gain overall.
    meta = ClusterMetadata({"t": 2}, {tp("t", 0): frozenset({"r1"}), tp("t", 1): frozenset({"r1"})})
    group = {"a": MemberSubscription("a", {"t"}, rack="r0", owned_partitions=(tp("t", 0),),
                                     generation=3),
             "b": MemberSubscription("b", {"t"}, rack="r1", owned_partitions=(tp("t", 1),),
                                     generation=3)}
    a = StickyAssignor().assign(group, meta)
    assert a.owned == {"a": (tp("t", 0),), "b": (tp("t", 1),)}


@st.composite
def racked_groups_with_claims(draw: st.DrawFn
                              ) -> tuple[dict[str, MemberSubscription], ClusterMetadata]:
    counts = draw(st.fixed_dictionaries({t: st.integers(1, 9) for t in TOPICS}))
    racks = {TopicPartition(t, p): frozenset(draw(st.sets(st.sampled_from(RACKS), min_size=1,
                                                         max_size=2)))
             for t, n in counts.items() for p in range(n)}
    same = draw(st.booleans())
    n = draw(st.integers(2, 6))
    members = [f"m{i}" for i in range(n)]
    topics = {m: frozenset(TOPICS) if same else
              frozenset(draw(st.sets(st.sampled_from(TOPICS), min_size=1))) for m in members}
    claims: dict[str, list[TopicPartition]] = {m: [] for m in members}
    for t, c in counts.items():
        for p in range(c):
            holders = [m for m in members if t in topics[m]]
            if holders and draw(st.booleans()):
                claims[draw(st.sampled_from(holders))].append(TopicPartition(t, p))
    group = {m: MemberSubscription(m, topics[m], owned_partitions=tuple(claims[m]), generation=1,
                                   rack=draw(st.sampled_from([*RACKS, None]))) for m in members}
    return group, ClusterMetadata(counts, racks)


def moved_from_claims(group: dict[str, MemberSubscription], a: GroupAssignment) -> int:
    owner = a.owner_of()
    return sum(1 for m, s in group.items() for tp in s.owned_partitions if owner.get(tp) != m)


def local_count(group: dict[str, MemberSubscription], meta: ClusterMetadata,
                a: GroupAssignment) -> int:
    return sum(1 for m, tps in a.owned.items() for tp in tps
               if group[m].rack in meta.replica_racks.get(tp, ()))


@settings(max_examples=150, deadline=None)
@given(racked_groups_with_claims())
def test_kept_partitions_move_only_for_locality_and_at_most_two_per_local_gain(case) -> None:
    group, meta = case
    sticky = StickyAssignor()
    full = sticky_assignment(group, meta, sticky.claims_of, "sticky")
    cautious = sticky_assignment(group, meta, sticky.claims_of, "sticky", move_kept=False)
    assert_valid(group, meta, full)
    assert_balanced(group, full)
    assert full.counts() == cautious.counts()
    gained = local_count(group, meta, full) - local_count(group, meta, cautious)
    extra_moves = moved_from_claims(group, full) - moved_from_claims(group, cautious)
    assert gained >= 0
    assert extra_moves <= 2 * gained, f"{extra_moves} more partitions moved for {gained} local"
    assert rack_locality(group, meta, full) >= rack_locality(group, meta, cautious)


@settings(max_examples=150, deadline=None)
@given(racked_groups_with_claims())
def test_cautious_target_keeps_every_claim_a_balanced_assignment_keeps(case) -> None:
    group, meta = case
    coop = CooperativeStickyAssignor()
    full = coop.target(group, meta)
    handed = {m: tuple(tp for tp in tps if tp in group[m].owned_partitions or
                       all(tp not in s.owned_partitions for s in group.values()))
              for m, tps in full.owned.items()}
    again = {m: MemberSubscription(m, s.topics, owned_partitions=handed[m], generation=2,
                                   rack=s.rack) for m, s in group.items()}
    second = coop.target(again, meta, move_kept=False)
    for m, tps in handed.items():
        assert set(tps) <= set(second.owned[m]), m


def test_cooperative_swaps_kept_partitions_in_a_quiet_rebalance_over_two_rounds() -> None:
    tp = TopicPartition
    # Nothing changed but each member holds the partition local to the other: round 1 revokes
    # both, round 2 hands them over, and nothing is handed back.
    meta = ClusterMetadata({"t": 2}, {tp("t", 0): frozenset({"r1"}), tp("t", 1): frozenset({"r0"})})
    group = {"a": MemberSubscription("a", {"t"}, rack="r0", owned_partitions=(tp("t", 0),),
                                     generation=3),
             "b": MemberSubscription("b", {"t"}, rack="r1", owned_partitions=(tp("t", 1),),
                                     generation=3)}
    rounds = rebalance_rounds(CooperativeStickyAssignor(), group, meta, generation=4)
    assert [r.owned for r in rounds] == [{"a": (), "b": ()},
                                         {"a": (tp("t", 1),), "b": (tp("t", 0),)}]


def test_cooperative_moves_no_kept_partition_while_a_partition_is_unowned_and_nothing_must_move(
        ) -> None:
    tp = TopicPartition
    # As above, plus a new partition t-2 nobody owns yet (what every second round looks like):
    # the new partition is placed, the kept ones stay; the next quiet rebalance swaps them.
    meta = ClusterMetadata({"t": 3}, {tp("t", 0): frozenset({"r1"}), tp("t", 1): frozenset({"r0"}),
                                      tp("t", 2): frozenset({"r0"})})
    group = {"a": MemberSubscription("a", {"t"}, rack="r0", owned_partitions=(tp("t", 0),),
                                     generation=3),
             "b": MemberSubscription("b", {"t"}, rack="r1", owned_partitions=(tp("t", 1),),
                                     generation=3)}
    rounds = rebalance_rounds(CooperativeStickyAssignor(), group, meta, generation=4)
    assert [r.owned for r in rounds] == [{"a": (tp("t", 0), tp("t", 2)), "b": (tp("t", 1),)}]
    after = {m: replace(s, owned_partitions=rounds[-1].owned[m], generation=4)
             for m, s in group.items()}
    rounds = rebalance_rounds(CooperativeStickyAssignor(), after, meta, generation=5)
    assert len(rounds) == 2 and rounds[-1].owned == {"a": (tp("t", 1), tp("t", 2)),
                                                     "b": (tp("t", 0),)}
