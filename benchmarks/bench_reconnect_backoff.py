"""Zombie ownership and recovery after broker restarts, by kafka-python ``reconnect_backoff_max_ms``.

    python benchmarks/bench_reconnect_backoff.py [--duration 90] [--seed 1] [--backoffs 30000,1000]

For each back-off (kafka-python's default 30,000 ms, and the 1,000 ms that
``strategies.kafka_python.create_consumer`` and the soak use, as the Java client does), one
``kpart soak`` run on its own three-node cluster: a cooperative-sticky and a range group of 4
members each, through a kill -9 of the group coordinator's broker and of the broker leading
most partitions (each restarted after 8 s), with the consumers' ``reconnect_backoff_max_ms``
set to that value. Prints, per back-off and group: records lost, overlapping ownerships
(count, seconds in all, longest), records processed outside ownership, sessions that lapsed
(members that treated their partitions as lost), rounds, unowned partition-seconds and the
longest unowned stretch (how long a partition waited for an owner: the recovery).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from kpart.soak.runner import SoakConfig, SoakRun
from kpart.soak.worklog import read_events


class BackoffSoak(SoakRun):
    """A soak whose consumers use ``reconnect_backoff_max_ms`` = ``backoff_ms``."""

    def __init__(self, config: SoakConfig, backoff_ms: int, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.backoff_ms = backoff_ms

    def _spawn(self, module: str, cfg: dict[str, Any]) -> Any:
        if module == "kpart.soak.consumer_worker":
            cfg = {**cfg, "reconnect_backoff_max_ms": self.backoff_ms}
        return super()._spawn(module, cfg)


def lapses_and_backoffs(directory: Path, group: str) -> tuple[int, set[int]]:
    """(lost callbacks with a lapse moment, the back-offs the members reported using)."""
    lapses, used = 0, set()
    for log in directory.glob(f"{group}-m*.jsonl"):
        for e in read_events(log):
            if e["ev"] == "start":
                used.add(e.get("reconnect_backoff_max_ms", -1))
            elif e["ev"] == "own" and e["op"] == "lost" and e.get("lapsed") is not None:
                lapses += 1
    return lapses, used


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=90.0, help="seconds of faults per run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backoffs", default="30000,1000", help="comma-separated ms values")
    args = parser.parse_args()
    rows = []
    for backoff in (int(b) for b in args.backoffs.split(",")):
        with tempfile.TemporaryDirectory(prefix="kpart-backoff-") as tmp:
            cfg = SoakConfig(strategies=("cooperative-sticky", "range"), members=4, seed=args.seed,
                             duration_s=args.duration, faults=("coordinator_kill", "broker_kill"),
                             directory=Path(tmp))
            def say(line: str, backoff: int = backoff) -> None:
                print(f"[{backoff} ms] {line}", flush=True)

            with BackoffSoak(cfg, backoff, say=say) as soak:
                report = soak.run()
            for g in report.groups:
                lapses, used = lapses_and_backoffs(Path(tmp), g.strategy)
                if used != {backoff}:
                    print(f"error: the members used reconnect_backoff_max_ms {sorted(used)}, not {backoff}")
                    return 1
                rows.append((backoff, g, lapses))
    print("\nreconnect_backoff_max_ms  group               lost  overlaps (s, longest s)  unowned reads"
          "  lapsed sessions  rounds  unowned p-s  longest unowned s")
    for backoff, g, lapses in rows:
        print(f"{backoff:>24,}  {g.strategy:<18} {g.lost:>5}  {g.overlaps:>3} ({g.overlap_s:.2f}, "
              f"{g.overlap_max_s:.2f}){'':>9}  {g.unowned_reads:>13}  {lapses:>15}  {g.rounds:>6}"
              f"  {g.unowned_ps:>11.1f}  {g.max_unowned_s:>17.1f}")
    for backoff, g, _ in rows:
        for line in g.failures:
            print(f"FAILED [{backoff} ms] {g.strategy}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
