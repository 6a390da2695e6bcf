"""Round-robin: Java's documented examples, static/dynamic mixes, different subscriptions."""

from __future__ import annotations

from strategies import RoundRobinAssignor
from tests.strategies.strategies_testkit import cluster, group, member, tps


def test_java_documented_example_identical_subscriptions() -> None:
    g = group(member("C0", ["t0", "t1"]), member("C1", ["t0", "t1"]))
    a = RoundRobinAssignor().assign(g, cluster(t0=3, t1=3))
    assert a.owned["C0"] == tps("t0p0", "t0p2", "t1p1")
    assert a.owned["C1"] == tps("t0p1", "t1p0", "t1p2")


def test_java_documented_example_different_subscriptions() -> None:
    g = group(member("C0", ["t0"]), member("C1", ["t0", "t1"]), member("C2", ["t0", "t1", "t2"]))
    a = RoundRobinAssignor().assign(g, cluster(t0=1, t1=2, t2=3))
    assert a.owned["C0"] == tps("t0p0")
    assert a.owned["C1"] == tps("t1p0")
    assert a.owned["C2"] == tps("t1p1", "t2p0", "t2p1", "t2p2")


def test_static_members_first_then_dynamic() -> None:
    g = group(
        member("a", ["t"]),
        member("z", ["t"], group_instance_id="i0"),
        member("b", ["t"]),
    )
    a = RoundRobinAssignor().assign(g, cluster(t=5))
    assert a.owned["z"] == tps("tp0", "tp3")
    assert a.owned["a"] == tps("tp1", "tp4")
    assert a.owned["b"] == tps("tp2")


def test_disjoint_subscriptions_do_not_crash() -> None:
    g = group(member("C0", ["x"]), member("C1", ["y"]))
    a = RoundRobinAssignor().assign(g, cluster(x=2, y=1))
    assert a.owned["C0"] == tps("xp0", "xp1")
    assert a.owned["C1"] == tps("yp0")


def test_member_with_only_unknown_topics_gets_nothing() -> None:
    g = group(member("C0", ["nope"]), member("C1", ["t"]))
    a = RoundRobinAssignor().assign(g, cluster(t=2))
    assert a.owned["C0"] == ()
    assert a.owned["C1"] == tps("tp0", "tp1")
