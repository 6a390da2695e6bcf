"""Range: Java's documented example and Java's member order, static and dynamic mixed."""

from __future__ import annotations

import logging

from strategies import ClusterMetadata, RangeAssignor, TopicPartition
from tests.strategies.strategies_testkit import cluster, group, member, tp, tps


def test_java_documented_example() -> None:
    g = group(member("C0", ["t0", "t1"]), member("C1", ["t0", "t1"]))
    a = RangeAssignor().assign(g, cluster(t0=3, t1=3))
    assert a.owned["C0"] == tps("t0p0", "t0p1", "t1p0", "t1p1")
    assert a.owned["C1"] == tps("t0p2", "t1p2")


def test_static_members_sort_first_by_instance_id_then_dynamic_by_member_id() -> None:
    g = group(
        member("a-dyn", ["t"]),
        member("z-static", ["t"], group_instance_id="i1"),
        member("b-dyn", ["t"]),
        member("m-static", ["t"], group_instance_id="i0"),
    )
    a = RangeAssignor().assign(g, cluster(t=6))
    assert a.owned["m-static"] == tps("tp0", "tp1")
    assert a.owned["z-static"] == tps("tp2", "tp3")
    assert a.owned["a-dyn"] == tps("tp4")
    assert a.owned["b-dyn"] == tps("tp5")


def test_mixed_static_and_dynamic_in_any_input_order_leaves_nobody_empty() -> None:
    members = [
        member("d2", ["t"]),
        member("s1", ["t"], group_instance_id="x1"),
        member("d1", ["t"]),
        member("s0", ["t"], group_instance_id="x0"),
    ]
    for rotation in range(4):
        g = group(*(members[rotation:] + members[:rotation]))
        a = RangeAssignor().assign(g, cluster(t=4))
        assert sorted(len(v) for v in a.owned.values()) == [1, 1, 1, 1]


def test_members_with_different_topics_only_get_their_topics() -> None:
    g = group(member("C0", ["t0"]), member("C1", ["t0", "t1"]), member("C2", ["t1"]))
    a = RangeAssignor().assign(g, cluster(t0=3, t1=2))
    assert a.owned["C0"] == tps("t0p0", "t0p1")
    assert a.owned["C1"] == tps("t0p2", "t1p0")
    assert a.owned["C2"] == tps("t1p1")


def test_unknown_and_empty_topics_are_logged_and_skipped(caplog) -> None:
    g = group(member("C0", ["t0", "ghost", "empty"]), member("C1", ["t0"]))
    with caplog.at_level(logging.WARNING, logger="strategies"):
        a = RangeAssignor().assign(g, cluster(t0=2, empty=0))
    assert a.owned == {"C0": (tp("t0p0"),), "C1": (tp("t0p1"),)}
    assert "ghost" in caplog.text and "unknown" in caplog.text
    assert "empty" in caplog.text and "zero partitions" in caplog.text


def test_rack_aware_prefers_same_rack_but_keeps_range_counts() -> None:
    racks = {TopicPartition("t", p): frozenset({"r1" if p < 2 else "r0"}) for p in range(4)}
    meta = ClusterMetadata({"t": 4}, racks)
    g = group(member("C0", ["t"], rack="r0"), member("C1", ["t"], rack="r1"))
    a = RangeAssignor().assign(g, meta)
    assert a.owned["C0"] == tps("tp2", "tp3")
    assert a.owned["C1"] == tps("tp0", "tp1")


def test_rack_aware_never_costs_balance() -> None:
    racks = {TopicPartition("t", p): frozenset({"r0"}) for p in range(5)}
    meta = ClusterMetadata({"t": 5}, racks)
    g = group(member("C0", ["t"], rack="r0"), member("C1", ["t"], rack="r1"))
    a = RangeAssignor().assign(g, meta)
    assert (len(a.owned["C0"]), len(a.owned["C1"])) == (3, 2)
