"""The soak's checks on hand-made logs: each guarantee is attacked with a log that breaks it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kpart.simulation.engine import simulate
from kpart.simulation.events import AddPartitions, Crash, Join, StaticBounce
from kpart.simulation.model import MemberSpec, Timing
from kpart.soak import checks
from kpart.soak.cluster import coordinator_partition, java_string_hash
from kpart.soak.schedule import FAULTS, ExecutedFault, build_schedule, scenario_of
from kpart.soak.worklog import EventLog, LogTail, read_events


def own(t: float, op: str, parts: list[int], gen: int = 1, committed: bool = True,
        lapsed: float | None = None) -> dict[str, Any]:
    return {"ev": "own", "t": t, "op": op, "parts": parts, "gen": gen, "committed": committed,
            "lapsed": lapsed}


def read(t: float, *recs: tuple[int, int, str]) -> dict[str, Any]:
    return {"ev": "read", "t": t, "recs": [list(r) for r in recs]}


def start(t: float) -> dict[str, Any]:
    return {"ev": "start", "t": t}


def run(incs: list[checks.Incarnation], acked: dict[str, tuple[int, int]] | None = None,
        partitions: int = 1, window: tuple[float, float] = (0.0, 10.0)) -> checks.GroupCheck:
    return checks.check_group(acked or {}, incs, [], [(-1e9, partitions)], window)


def test_two_members_holding_a_partition_at_once_is_an_overlap() -> None:
    a = checks.Incarnation("a", [start(0), own(1, "add", [0]), read(2, (0, 0, "u:0")), own(6, "remove", [0])])
    b = checks.Incarnation("b", [start(0), own(5, "add", [0]), read(5.5, (0, 1, "u:1")),
                                 own(9, "remove", [0])])
    res = run([a, b])
    assert len(res.overlaps) == 1
    o = res.overlaps[0]
    assert (o.start, o.end, o.records) == (5, 6, (0, 1)) and not o.double_processed
    assert any("overlapping ownerships" in line for line in res.failures(cooperative=False))


def test_a_killed_member_owns_nothing_after_its_kill() -> None:
    a = checks.Incarnation("a", [start(0), own(1, "add", [0]), read(2, (0, 0, "u:0"))], killed_at=3.0)
    b = checks.Incarnation("b", [start(0), own(4, "add", [0]), read(4.5, (0, 0, "u:0"))])
    res = run([a, b], acked={"u:0": (0, 0)})
    assert res.overlaps == [] and res.lost == []
    assert res.duplicates == 1 and res.duplicate_causes == {"killed": 1}
    assert res.failures(cooperative=False) == []


def test_a_stopped_member_owns_nothing_while_stopped_but_does_after_it_resumes() -> None:
    events = [start(0), own(1, "add", [0]), read(18, (0, 6, "u:6")), own(20, "lost", [0])]
    frozen = checks.Incarnation("a", events, suspended=[(2.0, 16.0)])
    other = checks.Incarnation("b", [start(0), own(13, "add", [0]), read(17, (0, 5, "u:5")),
                                     own(25, "remove", [0])])
    res = run([frozen, other], window=(0, 30))
    assert [(o.start, o.end) for o in res.overlaps] == [(16.0, 20)]  # the zombie's claim after SIGCONT
    assert res.overlaps[0].records == (1, 1) and res.overlaps[0].double_processed  # b, then a
    assert res.unowned_ps == pytest.approx(1 + 11 + 5)  # 0-1, 2-13 (a stopped), 25-30
    assert res.max_unowned_s == pytest.approx(11.0)


def test_a_lapsed_member_owns_nothing_after_its_session_lapsed() -> None:
    """The same freeze, but the lost callback says the session lapsed at 12 (inside the stop):
    the interval ends there, so the new owner's claim from 13 does not overlap it."""
    other = checks.Incarnation("b", [start(0), own(13, "add", [0]), read(17, (0, 5, "u:5")),
                                     own(25, "remove", [0])])
    events = [start(0), own(1, "add", [0]), own(16.1, "lost", [0], lapsed=12.0)]
    frozen = checks.Incarnation("a", events, suspended=[(2.0, 16.0)])
    res = run([frozen, other], window=(0, 30))
    assert res.overlaps == [] and res.unowned_reads == []
    assert [(iv.start, iv.end, iv.how) for iv in checks.intervals_of(frozen)] == [(1, 2.0, "frozen")]
    assert res.failures(cooperative=False) == []


def test_a_record_processed_after_the_session_lapsed_is_an_unowned_read() -> None:
    """The zombie finishes its batch after SIGCONT (16.05) before it notices the lapse (16.1)."""
    other = checks.Incarnation("b", [start(0), own(13, "add", [0]), own(25, "remove", [0])])
    events = [start(0), own(1, "add", [0]), read(16.05, (0, 6, "u:6")), own(16.1, "lost", [0], lapsed=12.0)]
    frozen = checks.Incarnation("a", events, suspended=[(2.0, 16.0)])
    res = run([frozen, other], window=(0, 30))
    assert res.overlaps == [] and res.unowned_reads == [(frozen.label, 0, 6)]
    assert any("outside its ownership intervals" in line for line in res.failures(cooperative=False))
    # a lapse moment after the callback (clock skew, never expected) does not stretch the interval
    events[-1]["lapsed"] = 30.0
    assert run([frozen, other], window=(0, 30)).overlaps[0].end == pytest.approx(16.1)


def test_a_record_read_by_a_member_never_assigned_it_is_an_unowned_read() -> None:
    a = checks.Incarnation("a", [start(0), own(1, "add", [1]), read(2, (0, 0, "u:0"))])
    assert run([a], partitions=2).unowned_reads == [(a.label, 0, 0)]


def test_an_acknowledged_record_nobody_read_is_lost() -> None:
    a = checks.Incarnation("a", [start(0), own(1, "add", [0]), read(2, (0, 0, "u:0"))])
    res = run([a], acked={"u:0": (0, 0), "u:1": (0, 1)})
    assert res.lost == ["u:1"] and res.consumed == 1
    assert res.failures(cooperative=False)[0].startswith("1 acknowledged records never consumed")


def test_a_re_read_after_a_committed_revocation_is_an_unexplained_duplicate() -> None:
    a = checks.Incarnation("a", [start(0), own(1, "add", [0]), read(2, (0, 0, "u:0")),
                                 own(3, "remove", [0], committed=True)])
    b = checks.Incarnation("b", [start(0), own(4, "add", [0]), read(4.5, (0, 0, "u:0"))])
    res = run([a, b])
    assert res.duplicate_causes == {"revoked": 1} and res.unexplained_duplicates == 1
    a.events[-1]["committed"] = False
    res = run([a, b])
    assert res.duplicate_causes == {"revoked-uncommitted": 1} and res.unexplained_duplicates == 0


def test_a_re_read_while_the_first_reader_still_owns_the_partition_is_an_overlap_duplicate() -> None:
    a = checks.Incarnation("a", [start(0), own(1, "add", [0]), read(2, (0, 0, "u:0")), own(9, "remove", [0])])
    b = checks.Incarnation("b", [start(0), own(3, "add", [0]), read(4, (0, 0, "u:0")), own(9, "remove", [0])])
    res = run([a, b])
    assert res.duplicate_causes == {"overlap": 1} and res.unexplained_duplicates == 0 and res.overlaps
    c = checks.Incarnation("c", [start(0), read(5, (0, 0, "u:0"))])  # never assigned
    assert run([a, c]).duplicate_causes == {"unowned-read": 1}


def test_reading_a_key_out_of_order_within_one_interval_is_a_violation() -> None:
    a = checks.Incarnation("a", [start(0), own(1, "add", [0]),
                                 read(2, (0, 0, "k1:0"), (0, 1, "k1:2"), (0, 2, "k1:1"))])
    assert run([a]).order_violations == 1
    # after a new assignment the member may start again from the committed offset
    b = checks.Incarnation("b", [start(0), own(1, "add", [0]), read(2, (0, 0, "k1:0"), (0, 1, "k1:1")),
                                 own(3, "remove", [0], committed=False), own(4, "add", [0], gen=2),
                                 read(5, (0, 1, "k1:1"))])
    assert run([b]).order_violations == 0


def test_a_partition_revoked_and_handed_back_to_the_same_member_is_needless() -> None:
    a = checks.Incarnation("a", [start(0), own(1, "add", [0, 1]), own(3, "remove", [0, 1]),
                                 own(3.5, "add", [0], gen=2)])
    b = checks.Incarnation("b", [start(0), own(3.5, "add", [1], gen=2)])
    res = run([a, b], partitions=2)
    assert res.needless_revocations == 1
    assert any("cooperative" in line for line in res.failures(cooperative=True))
    assert not any("cooperative" in line for line in res.failures(cooperative=False))
    assert res.pauses == [0.5]  # a held nothing from 3 to 3.5


def test_a_group_that_never_owns_a_partition_again_has_not_settled() -> None:
    a = checks.Incarnation("a", [start(0), own(1, "add", [0, 1], gen=1), own(5, "remove", [1], gen=1)])
    res = checks.check_group({}, [a], [(4.0, "consumer_kill")], [(-1e9, 2)], (0.0, 10.0))
    assert res.unsettled_faults and res.unsettled_faults[0].startswith("consumer_kill")


def test_the_schedule_is_seeded_and_spaced() -> None:
    one, again, other = (build_schedule(FAULTS, 200, s) for s in (1, 1, 2))
    assert one == again and one != other
    assert sorted(f.kind for f in one) == sorted(FAULTS)
    times = [f.at for f in one]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert times == sorted(times) and min(gaps) >= 200 / 10 * 0.8
    with pytest.raises(ValueError, match="unknown fault 'meteor'"):
        build_schedule(("meteor",), 60, 1)


def test_executed_faults_become_simulator_events_for_each_group() -> None:
    members = [MemberSpec(f"m{i}", frozenset({"soak"}), static=True) for i in range(4)]
    faults = [
        ExecutedFault(10, "broker_kill", broker=1),
        ExecutedFault(20, "consumer_kill", ["m1", "m2"], {"g1": ["m1"], "g2": ["m2"]}),
        ExecutedFault(30, "consumer_freeze", ["m3"], {"g1": ["m3"]}),
        ExecutedFault(60, "static_bounce", ["m0"], {"g1": ["m0"]}),
        ExecutedFault(70, "partition_expansion", detail="16"),
    ]
    sc = scenario_of(faults, "g1", members, 12, Timing(), freeze_s=14, bounce_s=3, restart_gap_s=2)
    kinds = [(type(e), e.at) for e in sc.events]
    assert kinds == [(Crash, 20), (Crash, 30), (Join, 44), (StaticBounce, 60), (AddPartitions, 70)]
    assert sc.events[0].member == "m1"
    assert simulate(sc, "cooperative-sticky").totals.rebalances >= 3


def test_coordinator_partition_follows_the_broker_formula() -> None:
    assert java_string_hash("hello") == 99162322  # "hello".hashCode() in Java
    assert java_string_hash("polygenelubricants") == -2**31  # Integer.MIN_VALUE: abs() stays negative
    assert coordinator_partition("polygenelubricants") == 0
    assert coordinator_partition("hello") == 99162322 % 10


def test_a_log_tail_reads_what_a_log_gained_and_waits_for_unfinished_lines(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    log = EventLog(path)
    tail = LogTail(path)
    assert tail.read() == []  # nothing yet (the file may not even exist)
    log.write("start", pid=1)
    log.write("read", recs=[[0, 0, "u:0"]])
    assert [e["ev"] for e in tail.read()] == ["start", "read"]
    with path.open("a") as f:
        f.write('{"ev":"own","t":1.0,"op":"add"')  # a line being written (or cut by SIGKILL)
    assert len(tail.read()) == 2
    with path.open("a") as f:
        f.write(',"parts":[0]}\n')
    log.write("closed")
    log.close()
    events = tail.read()
    assert [e["ev"] for e in events] == ["start", "read", "own", "closed"]
    assert events == read_events(path) and events[2]["parts"] == [0]
    assert tail.read() is events and len(events) == 4  # read again: nothing new
