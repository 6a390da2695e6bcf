"""Cooperative-sticky: withholding, two-round convergence, EAGER support, Java user data."""

from __future__ import annotations

from strategies import (
    CooperativeStickyAssignor,
    RebalanceProtocol,
    TopicPartition,
    rebalance_rounds,
)
from strategies.codec import encode_generation
from tests.strategies.strategies_testkit import cluster, group, member, tps


def test_supports_cooperative_first_and_eager() -> None:
    assert CooperativeStickyAssignor().protocols == (
        RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER)


def test_new_member_gets_nothing_still_owned_in_round_one_then_its_share() -> None:
    owned = tps(*(f"tp{i}" for i in range(4)))
    g = group(member("A", ["t"], owned_partitions=owned, generation=5), member("B", ["t"]))
    meta = cluster(t=4)
    rounds = rebalance_rounds(CooperativeStickyAssignor(), g, meta, generation=6)
    assert len(rounds) == 2
    first, second = rounds
    assert first.owned["B"] == () and len(first.owned["A"]) == 2
    assert second.owned["A"] == first.owned["A"] and len(second.owned["B"]) == 2
    assert set(second.owned["A"]) | set(second.owned["B"]) == set(owned)


def test_unowned_partitions_are_handed_out_in_the_first_round() -> None:
    g = group(member("A", ["t"]), member("B", ["t"]))
    rounds = rebalance_rounds(CooperativeStickyAssignor(), g, cluster(t=3), generation=1)
    assert len(rounds) == 1
    assert sum(len(v) for v in rounds[0].owned.values()) == 3


def test_eager_members_own_nothing_so_nothing_is_withheld() -> None:
    g = group(member("A", ["t"]), member("B", ["t"]), member("C", ["t"]))
    a = CooperativeStickyAssignor().assign(g, cluster(t=6))
    assert a.counts() == {"A": 2, "B": 2, "C": 2}


def test_double_claim_keeps_partition_with_one_claimant_only() -> None:
    g = group(member("A", ["t"], owned_partitions=tps("tp0"), generation=3),
              member("B", ["t"], owned_partitions=tps("tp0"), generation=2))
    a = CooperativeStickyAssignor().assign(g, cluster(t=2))
    owners = [m for m, parts in a.owned.items() if TopicPartition("t", 0) in parts]
    assert owners == ["A"]


def test_generation_read_from_java_user_data_when_subscription_has_none() -> None:
    g = group(member("A", ["t"], owned_partitions=tps("tp0"), user_data=encode_generation(9)),
              member("B", ["t"], owned_partitions=tps("tp0"), user_data=encode_generation(4)))
    target = CooperativeStickyAssignor().target(g, cluster(t=2))
    assert target.owned["A"] == tps("tp0")


def test_corrupt_user_data_is_ignored(caplog) -> None:
    g = group(member("A", ["t"], user_data=b"\x01"), member("B", ["t"]))
    a = CooperativeStickyAssignor().assign(g, cluster(t=2))
    assert "ignoring user data of member 'A'" in caplog.text
    assert a.counts() == {"A": 1, "B": 1}


def test_regression_different_subscriptions_settle_in_two_rounds() -> None:
    """Shrunk from the churn machine: a third member joining used to need three rounds."""
    meta = cluster(t0=1, t1=1, t2=1, t3=3)
    settled = {"m000": tps("t0p0", "t1p0"), "m001": tps("t2p0", "t3p0", "t3p1", "t3p2")}
    g = group(
        member("m000", ["t0", "t1"], owned_partitions=settled["m000"], generation=2),
        member("m001", ["t0", "t1", "t2", "t3"], owned_partitions=settled["m001"],
               generation=2, group_instance_id="s"),
        member("m002", ["t0", "t1", "t3"]),
    )
    rounds = rebalance_rounds(CooperativeStickyAssignor(), g, meta, generation=3)
    assert len(rounds) == 2
    assert sorted(rounds[-1].counts().values()) == [2, 2, 2]  # t0+t1 | t2+t3 | t3+t3


def test_generation_read_from_librdkafka_style_sticky_user_data() -> None:
    from strategies.codec import encode_sticky

    g = group(member("A", ["t"], owned_partitions=tps("tp0"),
                     user_data=encode_sticky(tps("tp0"), 8)),
              member("B", ["t"], owned_partitions=tps("tp0"), user_data=encode_generation(3)))
    assert CooperativeStickyAssignor().target(g, cluster(t=2)).owned["A"] == tps("tp0")
