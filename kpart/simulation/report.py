"""Text, CSV and JSON renderings of simulation results."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields

from kpart.simulation.metrics import EventMetrics, SimulationResult, Totals


def _num(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


ROWS: list[tuple[str, Callable[[SimulationResult], str]]] = [
    ("protocol", lambda r: r.protocol),
    ("rebalances", lambda r: _num(r.totals.rebalances)),
    ("rebalance rounds", lambda r: _num(r.totals.rounds)),
    ("partitions moved", lambda r: _num(r.totals.moved)),
    ("partitions revoked", lambda r: _num(r.totals.revoked)),
    ("unowned partition-seconds", lambda r: _num(r.totals.unowned_ps)),
    ("final spread (max-min)", lambda r: _num(r.totals.final_spread)),
    ("worst spread (max-min)", lambda r: _num(r.totals.worst_spread)),
    ("final load max/mean", lambda r: _num(r.totals.final_load_ratio, 2)),
    ("final rack locality", lambda r: _pct(r.totals.final_rack_locality)),
    ("assign time (ms)", lambda r: _num(r.totals.compute_ms, 1)),
]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            out.append(str(cell).ljust(w) if i < left else str(cell).rjust(w))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def comparison_table(results: Sequence[SimulationResult]) -> str:
    """Strategies side by side: one column each, one row per total (lower is better, except
    rack locality)."""
    header = ["", *(r.strategy for r in results)]
    rows = [[label, *(get(r) for r in results)] for label, get in ROWS]
    return _table(header, rows)


EVENT_COLUMNS: list[tuple[str, Callable[[EventMetrics], str]]] = [
    ("#", lambda e: str(e.index)),
    ("t (s)", lambda e: _num(e.start, 0)),
    ("event", lambda e: e.label),
    ("members", lambda e: _num(e.members)),
    ("parts", lambda e: _num(e.partitions)),
    ("rounds", lambda e: _num(e.rounds)),
    ("moved", lambda e: _num(e.moved)),
    ("revoked", lambda e: _num(e.revoked)),
    ("unowned p-s", lambda e: _num(e.unowned_ps)),
    ("spread", lambda e: _num(e.spread)),
    ("load max/mean", lambda e: _num(e.load_ratio, 2)),
    ("rack local", lambda e: _pct(e.rack_locality)),
    ("settled (s)", lambda e: _num(e.end - e.start, 1)),
]


def events_table(result: SimulationResult) -> str:
    """One row per event of one run, then the totals."""
    header = [name for name, _ in EVENT_COLUMNS]
    rows = [[get(e) for _, get in EVENT_COLUMNS] for e in result.events]
    t = result.totals
    totals = (f"totals after the group formed: {t.rebalances} rebalances, {t.rounds} rounds, "
              f"{t.moved} moved, {t.revoked} revoked, {_num(t.unowned_ps)} unowned partition-seconds, "
              f"assign time {_num(t.compute_ms)} ms")
    return _table(header, rows, left=3) + "\n\n" + totals


def to_json(results: Sequence[SimulationResult]) -> str:
    """Every result with its events, totals and final assignment."""
    return json.dumps([r.to_dict() for r in results], indent=2)


def to_csv(results: Sequence[SimulationResult]) -> str:
    """One row per strategy and event, then one ``totals`` row per strategy."""
    event_fields = [f.name for f in fields(EventMetrics)]
    total_fields = [f.name for f in fields(Totals)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["scenario", "strategy", "protocol", "row", *event_fields, *total_fields])
    for r in results:
        for e in r.events:
            d = asdict(e)
            writer.writerow([r.scenario, r.strategy, r.protocol, "event", *(d[f] for f in event_fields),
                             *([""] * len(total_fields))])
        t = asdict(r.totals)
        writer.writerow([r.scenario, r.strategy, r.protocol, "totals", *([""] * len(event_fields)),
                         *(t[f] for f in total_fields)])
    return buf.getvalue()
