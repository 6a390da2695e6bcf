"""Weighted sticky: load bound, stickiness, cooperative settling, bad weights."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import (
    ClusterMetadata,
    MemberSubscription,
    TopicPartition,
    WeightedStickyAssignor,
    rebalance_rounds,
)
from strategies.cooperative import with_ownership
from strategies.metrics import loads
from tests.strategies.invariants import assert_valid
from tests.strategies.strategies_testkit import cluster, group, member, tps


def fixed(weights: dict[TopicPartition, float]):  # type: ignore[no-untyped-def]
    return lambda _cluster: weights


def test_balances_load_not_counts() -> None:
    w = {TopicPartition("t", 0): 10.0}
    a = WeightedStickyAssignor(fixed(w)).assign(
        group(member("A", ["t"]), member("B", ["t"])), cluster(t=5))
    heavy_owner = "A" if TopicPartition("t", 0) in a.owned["A"] else "B"
    light_owner = "B" if heavy_owner == "A" else "A"
    assert a.owned[heavy_owner] == tps("tp0")
    assert len(a.owned[light_owner]) == 4


def test_keeps_previous_partitions_within_the_limit() -> None:
    prev = tps("tp0", "tp1")
    g = group(member("A", ["t"], owned_partitions=prev, generation=1), member("B", ["t"]))
    a = WeightedStickyAssignor().assign(g, cluster(t=4))
    assert a.owned["A"] == prev and len(a.owned["B"]) == 2


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "3"])
def test_bad_weight_names_the_partition(bad: object) -> None:
    a = WeightedStickyAssignor(fixed({TopicPartition("t", 1): bad}))  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="weight of t-1"):
        a.assign(group(member("A", ["t"])), cluster(t=2))


def test_registered_and_cooperative() -> None:
    from strategies import RebalanceProtocol, get_assignor

    a = get_assignor("weighted-sticky")
    assert isinstance(a, WeightedStickyAssignor)
    assert RebalanceProtocol.COOPERATIVE in a.protocols


weights_st = st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=120, deadline=None)
@given(weights_st, st.integers(1, 6), st.integers(0, 5), st.randoms(use_true_random=False))
def test_load_bound_and_two_round_settling(ws, n_members, joiners, rnd) -> None:
    meta = ClusterMetadata({"t": len(ws)})
    w = {TopicPartition("t", i): x for i, x in enumerate(ws)}
    assignor = WeightedStickyAssignor(fixed(w))
    g = {f"m{i}": MemberSubscription(f"m{i}", {"t"}) for i in range(n_members)}
    first = assignor.assign(g, meta)
    assert_valid(g, meta, first)
    w_max, total = max(ws), sum(ws)
    for m, load in loads(first, w).items():
        assert load <= total / len(g) + w_max + 1e-6, (m, load)
    # churn: some leave, some join; then the cooperative protocol must settle in two rounds
    survivors = sorted(g)[: max(1, n_members - rnd.randint(0, n_members - 1))]
    g2 = with_ownership({m: g[m] for m in survivors}, first.owned, 1)
    for j in range(joiners):
        g2[f"new{j}"] = MemberSubscription(f"new{j}", {"t"})
    rounds = rebalance_rounds(assignor, g2, meta, generation=2)
    assert len(rounds) <= 2
    final = rounds[-1]
    assert_valid(g2, meta, final)
    for load in loads(final, w).values():
        assert load <= total / len(g2) + w_max + 1e-6
