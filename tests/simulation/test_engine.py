"""The engine against hand-computed timelines (round latency 1 s, session timeout 45 s)."""

from __future__ import annotations

import pytest

from kpart.simulation import parse_scenario, simulate
from kpart.simulation.metrics import EventMetrics
from kpart.simulation.ownership import Ledger, OwnershipError
from strategies import TopicPartition


def scenario(members: list[dict], events: list[dict], partitions: int = 4, **extra: object):
    data = {"topics": [{"name": "t", "partitions": partitions}], "members": members, "events": events,
            "timing": {"rebalance_round_s": 1, "session_timeout_s": 45, "heartbeat_interval_s": 3,
                       "metadata_refresh_s": 300}}
    data.update(extra)
    return parse_scenario(data)


def static(*names: str, **fields: object) -> list[dict]:
    return [{"name": n, "static": True, **fields} for n in names]


def event(strategy: str, sc, index: int = 1) -> EventMetrics:
    return simulate(sc, strategy).events[index]


def test_eager_leave_stops_every_partition_for_one_round() -> None:
    sc = scenario(static("c0", "c1"), [{"type": "leave", "at": 60, "member": "c1"}])
    result = simulate(sc, "range")
    e = result.events[1]
    # c1's two partitions and c0's two revoked ones all wait 60 -> 61.
    assert (e.unowned_ps, e.moved, e.revoked, e.rounds, e.end) == (4.0, 2, 2, 1, 61.0)
    assert result.final_assignment == {"c0": ["t-0", "t-1", "t-2", "t-3"]}


@pytest.mark.parametrize(("strategy", "unowned", "revoked"), [("cooperative-sticky", 92.0, 0),
                                                              ("cooperative-sticky@eager", 94.0, 2)])
def test_crash_waits_for_the_session_timeout(strategy: str, unowned: float, revoked: int) -> None:
    sc = scenario(static("c0", "c1"), [{"type": "crash", "at": 60, "member": "c1"}])
    e = event(strategy, sc)
    # c1's 2 partitions are unconsumed 60 -> 106; eager also stops c0's 2 for the round.
    assert (e.unowned_ps, e.revoked, e.moved, e.rounds, e.end) == (unowned, revoked, 2, 1, 106.0)


def test_cooperative_join_takes_two_rounds_and_stops_only_moved_partitions() -> None:
    sc = scenario(static("c0", "c1"), [{"type": "join", "at": 60, "name": "c2", "static": True}],
                  partitions=6)
    coop = event("cooperative-sticky", sc)
    eager = event("sticky", sc)
    assert (coop.rounds, coop.revoked, coop.moved, coop.unowned_ps, coop.end) == (2, 2, 2, 2.0, 62.0)
    assert (eager.rounds, eager.revoked, eager.moved, eager.unowned_ps, eager.end) == (1, 6, 2, 6.0, 61.0)


def test_static_bounce_within_session_timeout_costs_only_its_downtime() -> None:
    sc = scenario(static("c0", "c1"), [{"type": "static_bounce", "at": 60, "member": "c0", "downtime_s": 20}])
    e = event("range", sc)
    assert (e.rebalances, e.moved, e.revoked, e.unowned_ps, e.end) == (0, 0, 0, 40.0, 80.0)


def test_static_bounce_beyond_session_timeout_is_a_crash_then_a_join() -> None:
    sc = scenario(static("c0", "c1"), [{"type": "static_bounce", "at": 60, "member": "c0", "downtime_s": 50}])
    e = event("range", sc)
    # crash detected at 105 (c0's 2 wait 45+1 s, c1's 2 wait 1 s); c0 back at 110: all 4 wait 1 s.
    assert (e.rebalances, e.unowned_ps, e.end) == (2, 2 * 46 + 2 + 4, 111.0)


def test_dynamic_restart_leaves_then_rejoins() -> None:
    sc = scenario(static("c0") + [{"name": "c1"}], [{"type": "rolling_restart", "at": 60, "members": ["c1"]}])
    e = event("range", sc)
    assert e.rebalances == 2 and e.rounds == 2
    assert e.end == 60 + 10 + 1  # default 10 s downtime, then one round


def test_range_layout_matches_the_java_rules_after_a_join() -> None:
    sc = scenario(static("c0", "c1", "c2"), [{"type": "join", "at": 60, "name": "c3", "static": True}],
                  partitions=7)
    assert simulate(sc, "range").events[0].spread == 1
    assert simulate(sc, "range").final_assignment == {
        "c0": ["t-0", "t-1"], "c1": ["t-2", "t-3"], "c2": ["t-4", "t-5"], "c3": ["t-6"]}


def test_classic_groups_notice_new_partitions_on_a_metadata_refresh() -> None:
    sc = scenario(static("c0", "c1"), [{"type": "add_partitions", "at": 60, "topic": "t", "partitions": 6}])
    e = event("range", sc)
    # two new partitions wait 150 s (half the refresh period) + 1 round; eager stops the old 4 for 1 s
    assert (e.unowned_ps, e.end) == (2 * 151 + 4, 211.0)
    inc = event("kip848-uniform", sc)
    assert 0 < inc.unowned_ps <= 2 * 3 and inc.end <= 63


def test_incremental_leave_hands_over_on_heartbeats_without_revoking_anyone() -> None:
    sc = scenario(static("c0", "c1", "c2"), [{"type": "leave", "at": 60, "member": "c2"}], partitions=6)
    e = event("kip848-uniform", sc)
    assert (e.revoked, e.moved, e.rounds) == (0, 2, 1)
    assert 0 <= e.unowned_ps < 2 * 3 and 60 <= e.end < 63


def test_rack_outage_crashes_that_racks_members() -> None:
    sc = scenario([{"name": n, "rack": r, "static": True} for n, r in (("c0", "a"), ("c1", "b"), ("c2",
                                                                                                  "c"))],
                  [{"type": "rack_outage", "at": 60, "rack": "b"}], partitions=6,
                  brokers={"count": 3, "racks": ["a", "b", "c"]})
    result = simulate(sc, "cooperative-sticky")
    e = result.events[1]
    assert e.members == 2 and sorted(result.final_assignment) == ["c0", "c2"]
    assert e.unowned_ps == 2 * 46  # c1's two partitions until detection + one round
    assert e.rack_locality is not None


def test_rack_locality_counts_partitions_with_a_replica_on_the_members_rack() -> None:
    # one broker per rack, replication 1: partition p lives on broker p % 2 (rack a or b)
    sc = scenario([{"name": "c0", "rack": "a", "static": True}], [], partitions=4,
                  brokers={"count": 2, "racks": ["a", "b"]})
    assert simulate(sc, "range").events[0].rack_locality == 0.5


def test_producer_topic_growth_reports_records_remapped(tmp_path) -> None:
    # murmur2 of '0' is 971027396 and of '1' is -1993445489 (Java); & 0x7fffffff then mod N.
    keys = tmp_path / "keys.txt"
    keys.write_text("0\n1\n1\n")
    sc = parse_scenario({
        "topics": [{"name": "t", "partitions": 2}], "members": [{"count": 1}],
        "producer": {"topic": "t", "keys": {"distribution": "file", "file": str(keys)}},
        "events": [{"type": "add_partitions", "topic": "t", "partitions": 3}]})
    h0, h1 = 971027396 & 0x7FFFFFFF, -1993445489 & 0x7FFFFFFF
    changed = {"0": h0 % 2 != h0 % 3, "1": h1 % 2 != h1 % 3}
    expected = (changed["0"] * 1 + changed["1"] * 2) / 3
    result = simulate(sc, "range")
    assert result.events[1].keys_remapped == pytest.approx(expected)
    per = [0, 0, 0]
    per[h0 % 3] += 1
    per[h1 % 3] += 2
    assert result.records_per_partition == per


def test_ledger_refuses_a_second_owner() -> None:
    ledger = Ledger()
    tp = TopicPartition("t", 0)
    ledger.track({tp}, 0.0)
    ledger.acquire([tp], "a", 1.0)
    with pytest.raises(OwnershipError, match="t-0 given to b while a still owns it"):
        ledger.acquire([tp], "b", 2.0)
    ledger.release([tp], 2.0)
    ledger.acquire([tp], "b", 5.0)
    assert ledger.take() == (1.0 + 3.0, 1)


def test_unknown_strategy_names_the_known_ones() -> None:
    sc = scenario(static("c0"), [])
    with pytest.raises(ValueError,
                       match="unknown strategy 'nope'; known: .*cooperative-sticky.*kip848-uniform"):
        simulate(sc, "nope")
    with pytest.raises(ValueError, match="range does not support the cooperative protocol"):
        simulate(sc, "range@cooperative")


def test_batch_fill_is_byte_rate_times_linger_over_batch_size(tmp_path) -> None:
    from kpart.simulation.keys import ProducerModel
    from kpart.simulation.model import KeySpec, ProducerSpec

    keys = tmp_path / "keys.txt"
    keys.write_text("21\n" * 3 + "foobar\n")  # murmur2 -> partitions (h & 0x7fffffff) % 4: 0 and 2
    spec = ProducerSpec("t", "murmur2", KeySpec("file", file=keys), rate_per_s=1000, record_bytes=100,
                        linger_ms=10, batch_size=4000)
    # partition with 3/4 of 1000 rec/s: 750 x 0.01 s x 100 B = 750 B of 4000 -> 0.1875; other: 0.0625
    assert ProducerModel(spec, 0).batch_fill(4) == pytest.approx(0.75 * 0.1875 + 0.25 * 0.0625)
