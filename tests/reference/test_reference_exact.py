"""Ours against the reference code itself, on seeded random churn: assignors that must match
exactly (Java's range and roundrobin, rack-aware range, the broker's KIP-848 range and uniform).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import strategies
from kpart.reference import JavaReference
from kpart.simulation.server_assignors import RangeServerAssignor, UniformServerAssignor
from strategies.core import Assignor, GroupAssignment, TopicPartition
from tests.reference.churn import Churn

pytestmark = pytest.mark.integration

SEEDS = range(12)
STEPS = 12


def differences(
    java: JavaReference, ours: Assignor, java_name: str, make: Callable[[int], Churn], sticky_target: bool
) -> tuple[int, list[str]]:
    """Run every seed's churn through both; returns (steps compared, descriptions of mismatches).

    With ``sticky_target`` each side is fed its own previous result as ``owned_partitions`` (the
    broker's previous target); otherwise nobody owns anything (the assignors are not sticky).
    """
    compared = 0
    found: list[str] = []
    for seed in SEEDS:
        churn = make(seed)
        mine: dict[str, tuple[TopicPartition, ...]] = {}
        theirs: dict[str, tuple[TopicPartition, ...]] = {}
        for step in range(STEPS):
            event = churn.step() if step else "start"
            for old, new in churn.renamed.items():  # a static member's new id takes its target
                for prev in (mine, theirs):
                    if old in prev:
                        prev[new] = prev.pop(old)
            cluster = churn.cluster()
            ours_in = churn.subscriptions(mine if sticky_target else {}, step)
            java_in = churn.subscriptions(theirs if sticky_target else {}, step)
            ours_out = ours.assign(ours_in, cluster)
            java_out = java.assign(java_name, java_in, cluster)
            compared += 1
            if dict(ours_out.owned) != dict(java_out.owned):
                found.append(f"seed {seed} step {step} ({event}): {_diff(ours_out, java_out)}")
            mine, theirs = dict(ours_out.owned), dict(java_out.owned)
    return compared, found


def _diff(ours: GroupAssignment, java: GroupAssignment) -> str:
    def show(out: GroupAssignment, m: str) -> list[str]:
        return [str(tp) for tp in out.owned.get(m, ())]

    rows = [f"{m}: ours {show(ours, m)} java {show(java, m)}"
            for m in sorted(set(ours.owned) | set(java.owned)) if ours.owned.get(m) != java.owned.get(m)]
    return "; ".join(rows[:3])


def check(java: JavaReference, ours: Assignor, java_name: str, make: Callable[[int], Churn],
          sticky_target: bool = False) -> None:
    compared, found = differences(java, ours, java_name, make, sticky_target)
    summary = f"{len(found)} of {compared} steps differ from Java's {java_name}:\n"
    assert not found, summary + "\n".join(found[:5])


def uniform_churn(seed: int) -> Churn:
    return Churn(seed, racks=True, static=True, members=9, max_partitions=40)


def test_range_equals_javas_under_churn(java: JavaReference) -> None:
    check(java, strategies.get_assignor("range"), "range",
          lambda seed: Churn(seed, static=True, mixed=True))


def test_roundrobin_equals_javas_under_churn(java: JavaReference) -> None:
    check(java, strategies.get_assignor("roundrobin"), "roundrobin",
          lambda seed: Churn(seed, static=True))


def test_roundrobin_equals_javas_with_mixed_subscriptions(java: JavaReference) -> None:
    check(java, strategies.get_assignor("roundrobin"), "roundrobin",
          lambda seed: Churn(seed, static=True, mixed=True))


def test_rack_aware_range_equals_javas_under_churn(java: JavaReference) -> None:
    check(java, strategies.get_assignor("range"), "range",
          lambda seed: Churn(seed, racks=True, static=True, mixed=True))


def test_rack_aware_range_equals_javas_with_identical_subscriptions(java: JavaReference) -> None:
    check(java, strategies.get_assignor("range"), "range",
          lambda seed: Churn(seed, racks=True, static=True))


def test_kip848_range_equals_the_brokers_under_churn(java: JavaReference) -> None:
    check(java, RangeServerAssignor(), "kip848-range",
          lambda seed: Churn(seed, racks=True, static=True, mixed=True), sticky_target=True)


def test_kip848_uniform_equals_the_brokers_with_identical_subscriptions(java: JavaReference) -> None:
    check(java, UniformServerAssignor(), "kip848-uniform", uniform_churn, sticky_target=True)


def test_kip848_uniform_equals_the_brokers_with_mixed_subscriptions(java: JavaReference) -> None:
    check(java, UniformServerAssignor(), "kip848-uniform",
          lambda seed: Churn(seed, racks=True, static=True, mixed=True, topics=4, members=7,
                             max_partitions=30), sticky_target=True)


def test_kip848_uniform_equals_the_brokers_in_a_large_group(java: JavaReference) -> None:
    # 60+ members: the member map resizes and buckets collide, so its Java order matters.
    check(java, UniformServerAssignor(), "kip848-uniform",
          lambda seed: Churn(seed, topics=5, members=70, max_partitions=200), sticky_target=True)


def test_kip848_uniform_4_0_equals_the_4_0_brokers(java_4_0: JavaReference) -> None:
    check(java_4_0, UniformServerAssignor(broker_version="4.0"), "kip848-uniform", uniform_churn,
          sticky_target=True)
    check(java_4_0, UniformServerAssignor(broker_version="4.0"), "kip848-uniform",
          lambda seed: Churn(seed, mixed=True, topics=4, members=7, max_partitions=30), sticky_target=True)


def test_the_4_0_and_4_1_brokers_differ_on_the_same_churn(java_4_0: JavaReference) -> None:
    _, found = differences(java_4_0, UniformServerAssignor(broker_version="4.1"), "kip848-uniform",
                           uniform_churn, sticky_target=True)
    assert found, "the 4.1 port matched the 4.0 broker everywhere: the version switch is not exercised"
