"""Rack-aware (KIP-881) sticky and cooperative-sticky: locality where balance allows."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import ClusterMetadata, MemberSubscription, TopicPartition, get_assignor
from strategies.metrics import moved, rack_locality
from tests.strategies.invariants import assert_balanced, assert_valid


def racked_cluster(partitions: int, racks: list[str]) -> ClusterMetadata:
    return ClusterMetadata(
        {"t": partitions, "u": partitions},
        {TopicPartition(t, p): frozenset({racks[p % len(racks)]})
         for t in ("t", "u") for p in range(partitions)},
    )


@pytest.mark.parametrize("name", ["range", "sticky", "cooperative-sticky"])
def test_full_locality_when_racks_are_even(name: str) -> None:
    meta = racked_cluster(6, ["r0", "r1", "r2"])
    g = {f"m{i}": MemberSubscription(f"m{i}", {"t", "u"}, rack=f"r{i}") for i in range(3)}
    a = get_assignor(name).assign(g, meta)
    assert_valid(g, meta, a)
    assert rack_locality(g, meta, a) == 1.0
    assert sorted(a.counts().values()) == [4, 4, 4]


@pytest.mark.parametrize("name", ["sticky", "cooperative-sticky"])
def test_balance_wins_over_locality(name: str) -> None:
    meta = racked_cluster(6, ["r0"])
    g = {f"m{i}": MemberSubscription(f"m{i}", {"t", "u"}, rack=f"r{i}") for i in range(3)}
    a = get_assignor(name).assign(g, meta)
    assert sorted(a.counts().values()) == [4, 4, 4]
    assert rack_locality(g, meta, a) == pytest.approx(4 / 12)


def test_general_path_prefers_rack_within_balance() -> None:
    meta = racked_cluster(4, ["r0", "r1"])
    g = {"a": MemberSubscription("a", {"t"}, rack="r0"),
         "b": MemberSubscription("b", {"t", "u"}, rack="r1"),
         "c": MemberSubscription("c", {"u"}, rack="r0")}
    a = get_assignor("sticky").assign(g, meta)
    assert_valid(g, meta, a)
    assert_balanced(g, a)
    assert rack_locality(g, meta, a) >= 0.75


def test_previous_owner_keeps_partition_even_off_rack() -> None:
    meta = racked_cluster(2, ["r1"])
    prev = (TopicPartition("t", 0), TopicPartition("u", 0))
    g = {"a": MemberSubscription("a", {"t", "u"}, rack="r0", owned_partitions=prev, generation=1),
         "b": MemberSubscription("b", {"t", "u"}, rack="r1")}
    a = get_assignor("sticky").assign(g, meta)
    assert a.owned["a"] == prev


def test_moved_counts_owner_changes() -> None:
    from strategies import GroupAssignment

    before = GroupAssignment.of({"a": [TopicPartition("t", 0)], "b": [TopicPartition("t", 1)]})
    after = GroupAssignment.of({"a": [TopicPartition("t", 1)], "b": [TopicPartition("t", 0)]})
    assert moved(before, after) == 2 and moved(before, before) == 0


RACK_NAMES = ["r0", "r1", "r2"]


@st.composite
def racked_groups(draw: st.DrawFn) -> tuple[dict[str, MemberSubscription], ClusterMetadata]:
    counts = draw(st.fixed_dictionaries({t: st.integers(0, 8) for t in ("t", "u", "v")}))
    racks = {TopicPartition(t, p): frozenset(draw(st.sets(st.sampled_from(RACK_NAMES),
                                                         min_size=1)))
             for t, n in counts.items() for p in range(n)}
    n = draw(st.integers(1, 6))
    same = draw(st.booleans())
    shared = draw(st.sets(st.sampled_from(["t", "u", "v"]), min_size=1))
    group = {f"m{i}": MemberSubscription(
        f"m{i}", shared if same else draw(st.sets(st.sampled_from(["t", "u", "v"]), min_size=1)),
        rack=draw(st.sampled_from([*RACK_NAMES, None]))) for i in range(n)}
    return group, ClusterMetadata(counts, racks)


@settings(max_examples=150, deadline=None)
@given(racked_groups(), st.sampled_from(["range", "sticky", "cooperative-sticky"]))
def test_rack_awareness_never_costs_balance(case, name: str) -> None:
    group, meta = case
    aware = get_assignor(name).assign(group, meta)
    plain = get_assignor(name).assign(
        {m: MemberSubscription(m, s.topics) for m, s in group.items()}, meta)
    assert_valid(group, meta, aware)
    if name == "range":
        def per_topic(a):
            return {t: sorted(sum(1 for tp in tps if tp.topic == t) for tps in a.owned.values())
                    for t in meta.partition_counts}
        assert per_topic(aware) == per_topic(plain)
    else:
        assert_balanced(group, aware)
        assert sorted(aware.counts().values()) == sorted(plain.counts().values())
