"""What a ``kpart compare`` table means: a legend, a recommendation read off the numbers, next steps."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from kpart.simulation import SimulationResult

LEGEND = """\
what the rows mean:
  protocol            eager: every member stops and gives up all its partitions at each rebalance;
                      cooperative: only partitions that change owner are revoked (an extra round);
                      incremental: KIP-848 consumer protocol, the broker assigns (group.protocol=consumer)
  kip848-uniform      the broker's own uniform assignor (Kafka 4.x, KIP-848): confluent-kafka with
                      group.protocol=consumer; kafka-python speaks only the classic protocol
  rounds              JoinGroup+SyncGroup rounds; moved: partitions that changed owner;
                      revoked: partitions taken from a member, even if it got them back
  unowned partition-seconds
                      sum over partitions of the seconds no member was consuming them (the pause
                      a rebalance costs your consumers)
  spread, load        max-min partitions per member; busiest member's load / mean load (1.00 = even)
  rack locality       share of partitions owned by a member with a replica on its rack (higher is better)"""


def _key(r: SimulationResult) -> tuple[float, int, int]:
    return (r.totals.unowned_ps, r.totals.moved, r.totals.final_spread)


def _best_classic(results: Sequence[SimulationResult]) -> SimulationResult | None:
    classic = [r for r in results if r.protocol != "incremental"]
    return min(classic, key=_key) if classic else None


def recommendation(results: Sequence[SimulationResult]) -> str:
    """Name the strategy with the least unowned time (then fewest moves, then the tightest
    spread), compared with the worst, and the best one the classic protocol allows."""
    best, worst = min(results, key=_key), max(results, key=_key)
    line = f"recommendation: {best.strategy} ({best.protocol})"
    if _key(best) == _key(worst):
        return line + ": the strategies tie on unowned time, movement and spread in this scenario"
    line += (f": least unowned time, {best.totals.unowned_ps:,.0f} partition-seconds against "
             f"{worst.totals.unowned_ps:,.0f} for {worst.strategy};\n"
             f"  {best.totals.moved:,} partitions moved")
    alt = _best_classic(results)
    if best.protocol == "incremental" and alt is not None:
        line += (f". With kafka-python (classic protocol only): {alt.strategy}, "
                 f"{alt.totals.unowned_ps:,.0f} partition-seconds, {alt.totals.moved:,} moved")
    return line


def next_steps(results: Sequence[SimulationResult], scenario: str | None) -> str:
    """Commands worth running after this comparison."""
    alt = _best_classic(results) or results[0]
    kpart = _program()
    this = f"{scenario} " if scenario else ""
    other = "examples/scenarios/rack-outage.yaml" if scenario is None else "examples/scenarios/scale-out.yaml"
    return "\n".join([
        "next:",
        f"  {kpart} compare {this}--plot charts/     PNG charts: balance over time, moves per event",
        f"  {kpart} compare {other}     another scenario (your own: docs/scenarios.md)",
        f"  {kpart} simulate {this}--strategy {alt.strategy}     that strategy, event by event",
    ])


def _program() -> str:
    """How the user can type this command again: ``kpart`` if it is on PATH, else its path."""
    argv0 = sys.argv[0]
    if Path(argv0).name != "kpart" or shutil.which("kpart") == str(Path(argv0).resolve()):
        return "kpart"
    return os.path.relpath(argv0) if not os.path.relpath(argv0).startswith("..") else argv0
