"""Sticky: Java's documented examples, generations, corrupt data, balance and stickiness."""

from __future__ import annotations

import logging

from strategies import MemberSubscription, StickyAssignor
from strategies.codec import encode_sticky
from tests.strategies.strategies_testkit import cluster, group, member, tp, tps

TOPICS4 = ["t0", "t1", "t2", "t3"]


def with_history(mid: str, topics: list[str], owned: tuple, generation: int = 1,
                 **kw: object) -> MemberSubscription:
    return member(mid, topics, user_data=encode_sticky(owned, generation), **kw)


def test_java_example_1_initial_assignment() -> None:
    g = group(*(member(m, TOPICS4) for m in ("C0", "C1", "C2")))
    a = StickyAssignor().assign(g, cluster(t0=2, t1=2, t2=2, t3=2))
    assert a.owned["C0"] == tps("t0p0", "t1p1", "t3p0")
    assert a.owned["C1"] == tps("t0p1", "t2p0", "t3p1")
    assert a.owned["C2"] == tps("t1p0", "t2p1")


def test_java_example_1_remove_a_consumer_keeps_every_remaining_assignment() -> None:
    c0, c2 = tps("t0p0", "t1p1", "t3p0"), tps("t1p0", "t2p1")
    g = group(with_history("C0", TOPICS4, c0), with_history("C2", TOPICS4, c2))
    a = StickyAssignor().assign(g, cluster(t0=2, t1=2, t2=2, t3=2))
    assert set(c0) <= set(a.owned["C0"]) and set(c2) <= set(a.owned["C2"])
    assert len(a.owned["C0"]) == len(a.owned["C2"]) == 4
    moved = set(a.owned["C0"]) - set(c0) | set(a.owned["C2"]) - set(c2)
    assert moved == set(tps("t0p1", "t2p0", "t3p1"))


def test_java_example_2_different_subscriptions() -> None:
    subs = {"C0": ["t0"], "C1": ["t0", "t1"], "C2": ["t0", "t1", "t2"]}
    meta = cluster(t0=1, t1=2, t2=3)
    a = StickyAssignor().assign(group(*(member(m, t) for m, t in subs.items())), meta)
    assert a.owned == {"C0": tps("t0p0"), "C1": tps("t1p0", "t1p1"),
                       "C2": tps("t2p0", "t2p1", "t2p2")}
    g2 = group(with_history("C1", subs["C1"], a.owned["C1"]),
               with_history("C2", subs["C2"], a.owned["C2"]))
    b = StickyAssignor().assign(g2, meta)
    assert b.owned == {"C1": tps("t0p0", "t1p0", "t1p1"), "C2": tps("t2p0", "t2p1", "t2p2")}


def test_higher_generation_wins_a_conflicting_claim() -> None:
    g = group(with_history("old", ["t"], tps("tp0", "tp1"), generation=3),
              with_history("new", ["t"], tps("tp0"), generation=4))
    a = StickyAssignor().assign(g, cluster(t=2))
    assert a.owned == {"new": tps("tp0"), "old": tps("tp1")}


def test_same_generation_conflict_is_logged_and_still_valid(caplog) -> None:
    g = group(with_history("a", ["t"], tps("tp0", "tp1")),
              with_history("b", ["t"], tps("tp1", "tp2")))
    with caplog.at_level(logging.WARNING, logger="strategies"):
        a = StickyAssignor().assign(g, cluster(t=4))
    assert "same generation" in caplog.text
    assert sorted(a.owner_of()) == sorted(tps("tp0", "tp1", "tp2", "tp3"))
    assert tp("tp0") in a.owned["a"] and tp("tp2") in a.owned["b"]


def test_corrupt_user_data_is_ignored_with_a_warning(caplog) -> None:
    g = group(member("bad", ["t"], user_data=b"\x00\x00\x00\x09garbage"),
              with_history("good", ["t"], tps("tp0", "tp1", "tp2")))
    with caplog.at_level(logging.WARNING, logger="strategies"):
        a = StickyAssignor().assign(g, cluster(t=4))
    assert "ignoring user data of member 'bad'" in caplog.text
    assert len(a.owned["bad"]) == len(a.owned["good"]) == 2
    assert set(a.owned["good"]) <= set(tps("tp0", "tp1", "tp2"))


def test_claims_of_deleted_partitions_are_dropped_with_a_warning(caplog) -> None:
    g = group(with_history("a", ["t", "gone"], tps("tp0", "tp7", "gonep0")),
              member("b", ["t"]))
    with caplog.at_level(logging.WARNING, logger="strategies"):
        a = StickyAssignor().assign(g, cluster(t=2))
    assert "no longer exist" in caplog.text
    assert a.owned == {"a": tps("tp0"), "b": tps("tp1")}


def test_duplicate_member_id_in_subscription_is_logged_key_wins(caplog) -> None:
    g = {"k1": member("same", ["t"]), "k2": member("same", ["t"])}
    with caplog.at_level(logging.WARNING, logger="strategies"):
        a = StickyAssignor().assign(g, cluster(t=2))
    assert "differs from its member_id" in caplog.text
    assert sorted(a.owned) == ["k1", "k2"] and a.counts() == {"k1": 1, "k2": 1}


def test_general_path_moves_only_to_restore_balance() -> None:
    g = group(with_history("A", ["x", "y"], tps(*(f"xp{i}" for i in range(6)))),
              member("B", ["x"]), member("C", ["y"]))
    a = StickyAssignor().assign(g, cluster(x=6, y=2))
    assert a.counts() == {"A": 3, "B": 3, "C": 2}
    assert set(a.owned["A"]) <= set(tps(*(f"xp{i}" for i in range(6))))


def test_owned_partitions_used_when_no_user_data() -> None:
    g = group(member("a", ["t"], owned_partitions=tps("tp2", "tp3"), generation=2),
              member("b", ["t"]))
    a = StickyAssignor().assign(g, cluster(t=4))
    assert a.owned["a"] == tps("tp2", "tp3")
