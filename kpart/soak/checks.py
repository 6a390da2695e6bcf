"""Pure analysis of one group's soak logs: loss, duplicates, order, overlap, unowned time.

Inputs are the events of :mod:`kpart.soak.worklog`, all on the machine-wide monotonic clock.
A member process's **ownership interval** of a partition is the span in which it may process
that partition's records:

- it opens at the ``add`` callback (``on_partitions_assigned``);
- it closes at the ``remove`` callback (``on_partitions_revoked``) or the ``lost`` callback
  (``on_partitions_lost``); when the lost callback says the member's session ``lapsed`` at an
  earlier moment (the sending of its last answered heartbeat plus the session timeout: the
  broker could hand the partition to another member from then on), at that moment instead;
- it closes when the controller killed the process (SIGKILL), or when its log ends;
- it is suspended while the controller had the process stopped (SIGSTOP to SIGCONT): a process
  that cannot run processes nothing.

Two checks follow from it: no two members' intervals of a partition intersect (**overlap**),
and no member processes a record outside its own intervals (**unowned read**: e.g. records
processed after its session lapsed). Together they say no partition is processed by two
members at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

Read = tuple[float, int, int, str]  # time, partition, offset, value

MAX_ROUNDS_PER_FAULT = 8
"""A group that needs more generations than this to absorb one fault has not settled."""


@dataclass
class Incarnation:
    """One member process: its slot ``name``, its log, and what the controller did to it."""

    name: str
    events: list[dict[str, Any]]
    killed_at: float | None = None
    suspended: list[tuple[float, float]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.events[0]['t']:.1f}" if self.events else self.name


@dataclass(frozen=True)
class Interval:
    """``member`` (an incarnation label) owned ``partition`` from ``start`` to ``end``; ``how``
    it ended: ``revoked`` (offsets committed first), ``revoked-uncommitted``, ``lost``,
    ``lapsed`` (session lapsed, ended at the lapse moment), ``killed``, ``frozen`` (stopped by
    SIGSTOP) or ``end`` (log ended)."""

    member: str
    partition: int
    start: float
    end: float
    how: str


@dataclass(frozen=True)
class Overlap:
    partition: int
    members: tuple[str, str]
    start: float
    end: float
    records: tuple[int, int]  # records of that partition each member processed inside the overlap

    @property
    def double_processed(self) -> bool:
        """Both members processed records of the partition during the overlap."""
        return min(self.records) > 0


@dataclass
class GroupCheck:
    """What the checks found for one group."""

    produced: int = 0
    consumed: int = 0
    lost: list[str] = field(default_factory=list)
    duplicates: int = 0
    duplicate_causes: dict[str, int] = field(default_factory=dict)
    order_violations: int = 0
    unowned_reads: list[tuple[str, int, int]] = field(default_factory=list)  # member, partition, offset
    overlaps: list[Overlap] = field(default_factory=list)
    overlap_faults: list[str] = field(default_factory=list)  # the fault before each overlap
    rounds: int = 0
    rounds_per_fault: list[int] = field(default_factory=list)
    unsettled_faults: list[str] = field(default_factory=list)
    unowned_ps: float = 0.0
    max_unowned_s: float = 0.0
    pauses: list[float] = field(default_factory=list)
    needless_revocations: int = 0

    UNEXPLAINED = ("revoked", "same-interval", "unowned-read")

    @property
    def unexplained_duplicates(self) -> int:
        return sum(self.duplicate_causes.get(c, 0) for c in self.UNEXPLAINED)

    @property
    def overlap_s(self) -> float:
        return sum(o.end - o.start for o in self.overlaps)

    def failures(self, cooperative: bool) -> list[str]:
        """The violated guarantees, one line each (empty: every check passed)."""
        out = []
        if self.lost:
            out.append(f"{len(self.lost)} acknowledged records never consumed (e.g. {self.lost[:3]})")
        if self.overlaps:
            o = max(self.overlaps, key=lambda o: o.end - o.start)
            out.append(f"{len(self.overlaps)} overlapping ownerships ({self.overlap_s:.2f} s in all; "
                       f"longest: partition {o.partition} held by {o.members[0]} and {o.members[1]} for "
                       f"{o.end - o.start:.2f} s, processing {o.records[0]} and {o.records[1]} records "
                       f"meanwhile; {sum(o.double_processed for o in self.overlaps)} overlaps in which "
                       "both processed records)")
        if self.unowned_reads:
            out.append(f"{len(self.unowned_reads)} records processed by a member outside its ownership "
                       f"intervals (e.g. {self.unowned_reads[:3]})")
        if self.unexplained_duplicates:
            causes = {c: n for c, n in self.duplicate_causes.items() if c in self.UNEXPLAINED}
            out.append(f"{self.unexplained_duplicates} duplicates outside the at-least-once window {causes}")
        if self.order_violations:
            out.append(f"{self.order_violations} per-key order violations within one ownership interval")
        if self.unsettled_faults:
            out.append(f"group did not settle after: {', '.join(self.unsettled_faults)}")
        if cooperative and self.needless_revocations:
            out.append(f"{self.needless_revocations} partitions revoked and handed back to the same "
                       "cooperative member")
        return out


def intervals_of(inc: Incarnation) -> list[Interval]:
    """The ownership intervals of one member process (see the module docstring)."""
    label = inc.label
    opened: dict[int, float] = {}
    raw: list[Interval] = []
    last_t = inc.events[-1]["t"] if inc.events else 0.0
    for e in inc.events:
        if e["ev"] != "own":
            continue
        for p in e["parts"]:
            if e["op"] == "add":
                opened.setdefault(p, e["t"])
            elif p in opened:
                start, end = opened.pop(p), e["t"]
                how = "lost" if e["op"] == "lost" else (
                    "revoked" if e.get("committed", True) else "revoked-uncommitted")
                lapsed = e.get("lapsed") if e["op"] == "lost" else None
                if lapsed is not None and lapsed < end:
                    end, how = max(start, lapsed), "lapsed"
                raw.append(Interval(label, p, start, end, how))
    end, how = (inc.killed_at, "killed") if inc.killed_at is not None else (last_t, "end")
    raw += [Interval(label, p, start, max(start, end), how) for p, start in opened.items()]
    out: list[Interval] = []
    for iv in raw:
        pieces = [iv]
        if inc.killed_at is not None and iv.end > inc.killed_at:
            pieces = [Interval(label, iv.partition, iv.start, max(iv.start, inc.killed_at), "killed")]
        for stop, cont in inc.suspended:
            cut: list[Interval] = []
            for piece in pieces:
                if piece.end <= stop or piece.start >= cont:
                    cut.append(piece)
                    continue
                if piece.start < stop:
                    cut.append(Interval(label, piece.partition, piece.start, stop, "frozen"))
                if piece.end > cont:
                    cut.append(Interval(label, piece.partition, cont, piece.end, piece.how))
            pieces = cut
        out += pieces
    return out


def reads_of(inc: Incarnation) -> list[Read]:
    """(time, partition, offset, value) of every record the process logged as processed."""
    return [(e["t"], p, off, value) for e in inc.events if e["ev"] == "read" for p, off, value in e["recs"]]


def find_overlaps(intervals: list[Interval], reads: dict[str, list[Read]]) -> list[Overlap]:
    """Every pair of intervals of different members on the same partition that intersect."""
    by_partition: dict[int, list[Interval]] = defaultdict(list)
    for iv in intervals:
        if iv.end > iv.start:
            by_partition[iv.partition].append(iv)
    out = []
    for p, ivs in by_partition.items():
        ivs.sort(key=lambda iv: iv.start)
        for i, a in enumerate(ivs):
            for b in ivs[i + 1:]:
                if b.start >= a.end:
                    break
                if a.member == b.member:
                    continue
                start, end = b.start, min(a.end, b.end)
                na, nb = (sum(1 for t, rp, _, _ in reads.get(m, ()) if rp == p and start <= t <= end)
                          for m in (a.member, b.member))
                out.append(Overlap(p, (a.member, b.member), start, end, (na, nb)))
    return out


class _Index:
    """Intervals by (member, partition), for finding the one a read fell in."""

    def __init__(self, intervals: list[Interval]) -> None:
        self._by: dict[tuple[str, int], list[Interval]] = defaultdict(list)
        for iv in intervals:
            self._by[(iv.member, iv.partition)].append(iv)

    def at(self, member: str, partition: int, t: float) -> Interval | None:
        for iv in self._by.get((member, partition), ()):
            if iv.start <= t <= iv.end + 1e-6:
                return iv
        return None


def check_group(
    acked: dict[str, tuple[int, int]],
    incarnations: list[Incarnation],
    faults: list[tuple[float, str]],
    partitions_at: list[tuple[float, int]],
    window: tuple[float, float],
) -> GroupCheck:
    """Run every check on one group.

    ``acked``: value -> (partition, offset) of each acknowledged record. ``faults``: (time,
    label), in time order. ``partitions_at``: (time, partition count) from the start. ``window``:
    (settled, end) — the span over which unowned partition-seconds are counted.
    """
    res = GroupCheck(produced=len(acked))
    intervals = [iv for inc in incarnations for iv in intervals_of(inc)]
    reads = {inc.label: reads_of(inc) for inc in incarnations}
    seen_values: set[str] = set()
    by_record: dict[tuple[int, int], list[tuple[float, str]]] = defaultdict(list)
    for member, rs in reads.items():
        for t, p, off, value in rs:
            seen_values.add(value)
            by_record[(p, off)].append((t, member))
    res.consumed = len(seen_values & acked.keys())
    res.lost = sorted(v for v in acked if v not in seen_values)
    index = _Index(intervals)
    causes: dict[str, int] = defaultdict(int)
    for (p, _), rs in by_record.items():
        if len(rs) < 2:
            continue
        rs.sort()
        for (t1, m1), (t2, m2) in zip(rs, rs[1:], strict=False):
            first = index.at(m1, p, t1)
            second = index.at(m2, p, t2)
            if first is not None and first == second:
                causes["same-interval"] += 1
            elif first is None or second is None:
                causes["unowned-read"] += 1  # a member processed a record it did not own
            elif m1 != m2 and first.start <= t2 <= first.end:
                causes["overlap"] += 1  # both owned it: counted with the overlaps
            else:
                causes[first.how] += 1
            res.duplicates += 1
    res.duplicate_causes = dict(causes)
    res.order_violations = _order_violations(index, reads)
    res.unowned_reads = [(member, p, off) for member, rs in reads.items() for t, p, off, _ in rs
                         if index.at(member, p, t) is None]
    res.overlaps = find_overlaps(intervals, reads)
    res.overlap_faults = [next((label for t, label in reversed(faults) if t <= o.start), "none")
                          for o in res.overlaps]
    _rounds(res, incarnations, faults, intervals, partitions_at, window[1])
    res.unowned_ps, res.max_unowned_s = _unowned(intervals, partitions_at, window)
    res.pauses = [gap for inc in incarnations for gap in _pauses(inc)]
    res.needless_revocations = sum(_needless(inc, intervals) for inc in incarnations)
    return res


def _order_violations(index: _Index, reads: dict[str, list[Read]]) -> int:
    """Within one interval of one member: offsets and each key's sequence numbers must increase."""
    bad = 0
    last_offset: dict[tuple[str, Interval | None], int] = {}
    last_seq: dict[tuple[str, Interval | None, str], int] = {}
    for member, rs in reads.items():
        for t, p, off, value in rs:
            iv = index.at(member, p, t)
            if last_offset.get((member, iv), -1) >= off:
                bad += 1
            last_offset[(member, iv)] = off
            if value.startswith("k"):
                key, _, seq = value.partition(":")
                if last_seq.get((member, iv, key), -1) >= int(seq):
                    bad += 1
                last_seq[(member, iv, key)] = int(seq)
    return bad


def _owned_all(intervals: list[Interval], count: int, t: float) -> bool:
    owned = {iv.partition for iv in intervals if iv.start <= t < iv.end}
    return all(p in owned for p in range(count))


def _count_at(partitions_at: list[tuple[float, int]], t: float) -> int:
    return max((n for at, n in partitions_at if at <= t), default=partitions_at[0][1])


def _rounds(res: GroupCheck, incarnations: list[Incarnation], faults: list[tuple[float, str]],
            intervals: list[Interval], partitions_at: list[tuple[float, int]], end: float) -> None:
    first_seen: dict[int, float] = {}
    for inc in incarnations:
        for e in inc.events:
            if e["ev"] == "own" and e["op"] == "add" and e.get("gen", -1) >= 0:
                first_seen[e["gen"]] = min(first_seen.get(e["gen"], e["t"]), e["t"])
    gens = sorted(first_seen)
    res.rounds = max(0, len(gens) - 1)
    bounds = [t for t, _ in faults] + [end]
    for (t, label), nxt in zip(faults, bounds[1:], strict=True):
        n = sum(1 for g in gens if t <= first_seen[g] < nxt)
        res.rounds_per_fault.append(n)
        settled = _owned_all(intervals, _count_at(partitions_at, nxt - 0.5), nxt - 0.5)
        if n > MAX_ROUNDS_PER_FAULT or not settled:
            res.unsettled_faults.append(f"{label} ({n} rounds; all partitions owned before the next "
                                        f"fault: {settled})")


def _unowned(intervals: list[Interval], partitions_at: list[tuple[float, int]],
             window: tuple[float, float]) -> tuple[float, float]:
    """(partition-seconds with no owner, longest single unowned stretch) inside ``window``."""
    start, end = window
    total, longest = 0.0, 0.0
    final = max(n for _, n in partitions_at)
    for p in range(final):
        born = min(at for at, n in partitions_at if n > p)
        lo = max(start, born)
        spans = sorted((max(iv.start, lo), min(iv.end, end)) for iv in intervals
                       if iv.partition == p and iv.end > lo and iv.start < end)
        cursor = lo
        for a, b in spans:
            if a > cursor:
                total += a - cursor
                longest = max(longest, a - cursor)
            cursor = max(cursor, b)
        if end > cursor:
            total += end - cursor
            longest = max(longest, end - cursor)
    return total, longest


def _pauses(inc: Incarnation) -> list[float]:
    """Seconds the member held nothing between giving up its last partition and its next assignment."""
    held: set[int] = set()
    empty_since: float | None = None
    out = []
    for e in inc.events:
        if e["ev"] != "own":
            continue
        if e["op"] == "add":
            if empty_since is not None and e["parts"]:
                out.append(e["t"] - empty_since)
                empty_since = None
            held |= set(e["parts"])
        else:
            had = bool(held)
            held -= set(e["parts"])
            if had and not held:
                empty_since = e["t"]
    return out


def _needless(inc: Incarnation, intervals: list[Interval]) -> int:
    """Partitions revoked from this member and given back to it with nobody owning them between."""
    label = inc.label
    mine = sorted((iv for iv in intervals if iv.member == label), key=lambda iv: iv.start)
    count = 0
    by_p: dict[int, list[Interval]] = defaultdict(list)
    for iv in mine:
        by_p[iv.partition].append(iv)
    for p, ivs in by_p.items():
        for a, b in zip(ivs, ivs[1:], strict=False):
            if a.how != "revoked":
                continue
            others = any(iv.partition == p and iv.member != label and iv.start < b.start and iv.end > a.end
                         for iv in intervals)
            if not others:
                count += 1
    return count
