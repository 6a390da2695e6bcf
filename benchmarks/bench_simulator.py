"""Simulator speed: a 1,000-member, 100-event scenario under each strategy.

    python benchmarks/bench_simulator.py [--members 1000] [--events 100] [--partitions 3000]

For each strategy it prints the wall time of the whole run, the time spent inside the assignor
(the baseline: what the assignments alone cost, measured in the same run), and their ratio --
the simulator's own overhead on top of the strategy it simulates. Target: every run in seconds
(under 10 s on a 2-core machine).
"""

from __future__ import annotations

import argparse
import random
import time

from kpart.simulation import Scenario, parse_scenario, simulate

STRATEGIES = ("range", "roundrobin", "sticky", "cooperative-sticky", "kip848-uniform")


def big_scenario(members: int, events: int, partitions: int, seed: int = 1) -> Scenario:
    """``members`` consumers on two topics; ``events`` random joins, leaves and crashes."""
    rng = random.Random(seed)
    names = [f"c{i}" for i in range(members)]
    nxt = members
    timeline = []
    for _ in range(events):
        kind = rng.choice(["join", "leave", "crash"])
        if kind == "join":
            timeline.append({"type": "join", "name": f"c{nxt}"})
            names.append(f"c{nxt}")
            nxt += 1
        else:
            timeline.append({"type": kind, "member": names.pop(rng.randrange(len(names)))})
    return parse_scenario({
        "name": f"{members}-members-{events}-events", "seed": seed,
        "topics": [{"name": "a", "partitions": partitions * 2 // 3}, {"name": "b",
                                                                      "partitions": partitions // 3}],
        "members": [{"count": members}], "events": timeline,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--partitions", type=int, default=3000)
    args = parser.parse_args()
    scenario = big_scenario(args.members, args.events, args.partitions)
    print(f"scenario: {args.members} members, {args.events} events, {args.partitions} partitions")
    print(f"{'strategy':<20}{'wall s':>9}{'assign s':>10}{'overhead x':>12}{'events/s':>10}  target")
    for name in STRATEGIES:
        started = time.perf_counter()
        result = simulate(scenario, name)
        wall = time.perf_counter() - started
        assign = sum(e.compute_ms for e in result.events) / 1000
        ratio = wall / assign if assign else float("inf")
        verdict = "ok" if wall < 10 else "SLOW"
        rate = (args.events + 1) / wall
        print(f"{name:<20}{wall:>9.2f}{assign:>10.2f}{ratio:>12.2f}{rate:>10.1f}  {verdict}")


if __name__ == "__main__":
    main()
