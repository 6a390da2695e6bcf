"""Groups mixing classic and consumer-protocol (KIP-848) members, and migrating between them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kpart.simulation import ScenarioError, load_scenario, parse_scenario, simulate
from kpart.simulation.engine import Simulation
from kpart.simulation.ownership import Ledger

ROOT = Path(__file__).resolve().parents[2]
TIMING = {"rebalance_round_s": 1, "session_timeout_s": 45, "heartbeat_interval_s": 3,
          "metadata_refresh_s": 300}


def scenario(members: list[dict], events: list[dict], partitions: int = 6, **extra: object):
    data = {"topics": [{"name": "t", "partitions": partitions}], "members": members, "events": events,
            "timing": TIMING}
    data.update(extra)
    return parse_scenario(data)


@pytest.fixture
def ledger_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str, float]]:
    """Every hand-over the engine makes: ``(op, member, partition, t)``, op release or acquire."""
    log: list[tuple[str, str, str, float]] = []
    release, acquire = Ledger.release, Ledger.acquire

    def logged_release(self: Ledger, tps, t: float) -> None:
        tps = list(tps)
        log.extend(("release", self.owner.get(tp, "?"), str(tp), t) for tp in tps if tp in self.owner)
        release(self, tps, t)

    def logged_acquire(self: Ledger, tps, member: str, t: float) -> None:
        tps = list(tps)
        log.extend(("acquire", member, str(tp), t) for tp in tps)
        acquire(self, tps, member, t)

    monkeypatch.setattr(Ledger, "release", logged_release)
    monkeypatch.setattr(Ledger, "acquire", logged_acquire)
    return log


def contiguous(tps: list[str]) -> bool:
    ps = sorted(int(tp.rsplit("-", 1)[1]) for tp in tps)
    return ps == list(range(ps[0], ps[0] + len(ps))) if ps else True


@pytest.mark.parametrize("named", ["roundrobin", "sticky", "cooperative-sticky"])
def test_classic_member_in_a_consumer_group_is_assigned_by_the_broker(named: str) -> None:
    members = [{"name": "a", "static": True}, {"name": "b", "static": True},
               {"name": "x", "static": True, "strategy": named}]
    final = simulate(scenario(members, []), "kip848-range").final_assignment
    # the broker's range deals contiguous blocks; the classic member's own assignor is ignored
    assert sorted(map(len, final.values())) == [2, 2, 2]
    assert all(contiguous(tps) for tps in final.values()), final
    members[2]["strategy"] = "range"
    assert simulate(scenario(members, []), "kip848-range").final_assignment == final


def test_without_consumer_protocol_members_the_classic_assignor_runs() -> None:
    members = [{"name": "a", "static": True}, {"name": "b", "static": True, "strategy": "roundrobin"}]
    final = simulate(scenario(members, []), "roundrobin").final_assignment
    assert final == {"a": ["t-0", "t-2", "t-4"], "b": ["t-1", "t-3", "t-5"]}


def test_classic_members_naming_different_assignors_are_refused() -> None:
    members = [{"name": "a"}, {"name": "b", "strategy": "sticky"}]
    with pytest.raises(ValueError, match=r"members a \(range\) and b \(sticky\) run different classic"):
        simulate(scenario(members, []), "range")


def test_last_consumer_protocol_member_leaving_turns_the_group_classic_again() -> None:
    members = [{"name": "a", "static": True}, {"name": "b", "static": True}]
    events = [{"type": "join", "at": 60, "name": "k", "static": True, "strategy": "kip848-range"},
              {"type": "join", "at": 120, "name": "c", "static": True},
              {"type": "leave", "at": 180, "member": "k"}]
    sc = scenario(members, events)
    steps = [simulate(sc.__class__(**{**sc.__dict__, "events": sc.events[:k]}), "roundrobin").final_assignment
             for k in range(4)]
    assert steps[0] == {"a": ["t-0", "t-2", "t-4"], "b": ["t-1", "t-3", "t-5"]}
    four = scenario([{"name": n, "static": True} for n in ("a", "b", "c", "k")], [])
    assert steps[2] != simulate(four, "roundrobin").final_assignment  # consumer group: broker's range
    assert steps[3] == {"a": ["t-0", "t-3"], "b": ["t-1", "t-4"], "c": ["t-2", "t-5"]}  # classic again


def test_consumer_group_hands_a_partition_over_only_after_the_old_owner_released_it(
        ledger_log: list[tuple[str, str, str, float]]) -> None:
    log = ledger_log
    members = [{"name": "a", "strategy": "cooperative-sticky"}, {"name": "b"}]
    sc = scenario(members, [{"type": "join", "at": 60, "name": "c"}], partitions=12)
    e = simulate(sc, "kip848-uniform").events[1]
    after = [x for x in log if x[3] >= 60]
    moved = {tp for op, _, tp, _ in after if op == "release"}
    assert e.moved == len(moved) == 4
    for tp in moved:
        (released,) = [t for op, _, p, t in after if op == "release" and p == tp]
        (taken,) = [(m, t) for op, m, p, t in after if op == "acquire" and p == tp]
        assert taken[0] == "c" and taken[1] >= released, tp
    # the classic member revokes after one join/sync round, the consumer-protocol one on a heartbeat
    times = {m: t for op, m, _, t in after if op == "acquire"}
    assert 60 < times["c"] <= 60 + 1 + 3


def test_eager_classic_member_in_a_consumer_group_revokes_everything_when_its_target_changes() -> None:
    members = [{"name": "a", "strategy": "range"}, {"name": "b"}]
    sc = scenario(members, [{"type": "join", "at": 60, "name": "c"}], partitions=12)
    eager = simulate(sc, "kip848-uniform").events[1]
    coop_sc = scenario([{"name": "a", "strategy": "cooperative-sticky"}, {"name": "b"}],
                       [{"type": "join", "at": 60, "name": "c"}], partitions=12)
    coop = simulate(coop_sc, "kip848-uniform").events[1]
    assert eager.moved == coop.moved == 4
    assert coop.revoked == 4 and eager.revoked == 4 + 4  # a drops its 4 kept partitions as well


def test_rolling_migration_to_the_consumer_protocol() -> None:
    members = [{"count": 3, "prefix": "c"}]
    events = [{"type": "add_partitions", "at": 60, "topic": "t", "partitions": 9},
              {"type": "rolling_restart", "at": 600, "interval_s": 30, "strategy": "kip848-uniform"},
              {"type": "add_partitions", "at": 1200, "topic": "t", "partitions": 12}]
    result = simulate(scenario(members, events), "cooperative-sticky")
    classic_growth, migration, consumer_growth = result.events[1:]
    assert migration.label == "rolling restart of 3 to kip848-uniform"
    assert migration.rebalances == 6  # each member: a leave, then a join under the new protocol
    # a classic group notices new partitions at the leader's metadata refresh, the broker at once
    assert classic_growth.end - classic_growth.at > 150
    assert consumer_growth.end - consumer_growth.at <= 3
    assert sorted(len(tps) for tps in result.final_assignment.values()) == [4, 4, 4]


def test_static_member_back_under_a_new_protocol_rejoins_as_a_new_member() -> None:
    members = [{"name": "a", "static": True}, {"name": "b", "static": True}]
    same = scenario(members, [{"type": "rolling_restart", "at": 60, "members": ["a"]}])
    migrated = scenario(members, [{"type": "rolling_restart", "at": 60, "members": ["a"],
                                   "strategy": "kip848-uniform"}])
    assert simulate(same, "cooperative-sticky").events[1].rebalances == 0
    assert simulate(migrated, "cooperative-sticky").events[1].rebalances == 2


def test_consumer_protocol_needs_a_4_0_broker() -> None:
    with pytest.raises(ScenarioError, match=r"^members\[1\]\.strategy: .*needs a 4\.0\+ broker, "
                                            r"the scenario's broker is 3\.9"):
        scenario([{"name": "a"}, {"name": "b", "strategy": "kip848-uniform"}], [], broker_version="3.9")
    classic = scenario([{"name": "a"}], [], broker_version="3.9")
    assert simulate(classic, "range").final_assignment["a"] == [f"t-{p}" for p in range(6)]
    with pytest.raises(ValueError, match="needs a 4.0"):
        simulate(classic, "kip848-range")


@pytest.mark.parametrize(("extra", "message"), [
    ({"broker_version": "four"}, "broker_version: broker version must look like 4.1, got 'four'"),
    ({"members": [{"name": "a", "strategy": "nope"}]}, "members[0].strategy: unknown strategy 'nope'"),
    ({"events": [{"type": "rolling_restart", "strategy": "kip848-range@eager"}]},
     "events[0].strategy: strategy 'kip848-range@eager': KIP-848 assignors only run"),
])
def test_bad_protocol_fields_are_named(extra: dict, message: str) -> None:
    data = {"topics": [{"name": "t", "partitions": 2}], "members": [{"name": "a"}], **extra}
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert str(info.value).startswith(message)


def test_member_ids_given_for_a_prediction_replace_the_generated_ones() -> None:
    sc = scenario([{"name": "a"}, {"name": "b"}], [])
    # the broker's range orders dynamic members by member id
    first = {("a", 0): "m-5", ("b", 0): "m-1"}
    assert Simulation(sc, "kip848-range", member_ids=first).run().final_assignment == \
        {"a": ["t-3", "t-4", "t-5"], "b": ["t-0", "t-1", "t-2"]}
    # keyed by (name, n-th process): an id for b's second process leaves its first one alone
    later = {("a", 0): "m-1", ("b", 0): "m-5", ("b", 1): "m-0"}
    assert Simulation(sc, "kip848-range", member_ids=later).run().final_assignment == \
        {"a": ["t-0", "t-1", "t-2"], "b": ["t-3", "t-4", "t-5"]}


def test_the_ready_migration_scenario_ends_in_one_consumer_group() -> None:
    sc = load_scenario(ROOT / "examples" / "scenarios" / "migrate-to-consumer-protocol.yaml")
    result = simulate(sc, "cooperative-sticky")
    assert [e.label.split()[0] for e in result.events] == ["start", "rolling", "join", "orders", "leave"]
    assert sum(len(tps) for tps in result.final_assignment.values()) == 22
    assert result.events[-1].spread <= 1


@pytest.mark.parametrize(("named", "assigns"), [
    (["kip848-range", "kip848-uniform"], "kip848-uniform"),  # a tie: the model's choice
    (["kip848-range", "kip848-range", "kip848-uniform"], "kip848-range"),
    (["kip848-range", "cooperative-sticky", "cooperative-sticky"], "kip848-range"),  # classic ones don't vote
])
def test_the_assignor_most_consumer_protocol_members_name_assigns_the_group(named: list[str],
                                                                            assigns: str) -> None:
    from kpart.simulation.protocols import group_strategy, resolve_strategy

    assert group_strategy({f"m{i}": resolve_strategy(n) for i, n in enumerate(named)}).name == assigns


def test_given_member_ids_change_nothing_else() -> None:
    sc = scenario([{"name": "a"}, {"name": "b"}], [{"type": "join", "at": 60, "name": "c"},
                                                  {"type": "add_partitions", "at": 120, "topic": "t",
                                                   "partitions": 9}])
    plain = Simulation(sc, "kip848-range")
    expected = plain.run()
    # the same order of ids (range sorts by id), other strings: heartbeat phases and timings stay
    ids = {(name, 0): proc.member_id + "-live" for name, proc in plain.group.items()}
    given = Simulation(sc, "kip848-range", member_ids=ids).run()
    def unmeasured(result):  # the assignors' measured run time aside
        return [replace(e, compute_ms=0.0) for e in result.events]

    assert unmeasured(given) == unmeasured(expected)
    assert given.final_assignment == expected.final_assignment


def test_classic_member_joining_a_consumer_group_takes_partitions_a_round_after_their_release(
        ledger_log: list[tuple[str, str, str, float]]) -> None:
    log = ledger_log
    sc = scenario([{"name": "a"}, {"name": "b"}],
                  [{"type": "join", "at": 60, "name": "x", "strategy": "cooperative-sticky"}], partitions=12)
    simulate(sc, "kip848-uniform")
    released = {tp: t for op, _, tp, t in log if op == "release" and t >= 60}
    taken = {tp: t for op, m, tp, t in log if op == "acquire" and m == "x"}
    assert set(taken) == set(released) and len(taken) == 4
    # the consumer-protocol owners revoke on their heartbeats; x needs one join/sync round more
    assert all(taken[tp] == pytest.approx(released[tp] + 1) for tp in taken), (released, taken)
    assert all(60 < t <= 63 for t in released.values())
