"""``kpart compare``: one scenario under several strategies, side by side."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from kpart.commands._common import (
    add_live_args,
    add_scenario_args,
    guarded,
    live_bootstrap,
    live_report,
    print_as_data,
    scenario_from,
    strategy_list,
)
from kpart.commands.verdict import LEGEND, next_steps, recommendation
from kpart.simulation import DEFAULT_STRATEGIES, compare, comparison_table
from kpart.simulation.keys import KeyDistribution


def run(args: argparse.Namespace) -> int:
    scenario = scenario_from(args)
    if args.live:
        from kpart.simulation.live import check_live

        check_live(scenario, args.strategies)  # refuse what cannot run live before anything runs
    bootstrap = live_bootstrap(args)  # refuse a missing broker before simulating
    results = compare(scenario, args.strategies, progress=not args.no_progress)
    if not print_as_data(args, results):
        events = len(scenario.events)
        print(f"scenario {scenario.name!r}: {len(scenario.members)} members, {events} events, "
              f"seed {scenario.seed}"
              + (f" -- {scenario.description}" if scenario.description else ""))
        print("totals after the group formed; lower is better except rack locality\n")
        print(comparison_table(results))
        scenario_arg = str(args.scenario) if args.scenario else None
        print(f"\n{LEGEND}\n\n{recommendation(results)}\n\n{next_steps(results, scenario_arg)}")
    if args.plot:
        from kpart.simulation.plotting import plot_comparison

        keys = None
        if scenario.producer is not None and results[0].records_per_partition is not None:
            keys = KeyDistribution(scenario.producer.partitioner, np.array(results[0].records_per_partition))
        for path in plot_comparison(results, args.plot, keys):
            print(f"wrote {path}", file=sys.stderr)
    if args.live:
        return live_report(scenario, args.strategies, bootstrap)
    return 0


def add(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compare",
        help="run a scenario under several assignment strategies and compare them (no broker)",
        description="Simulate one scenario under several strategies and print a side-by-side table. "
        "With no scenario, runs a built-in default scenario.",
    )
    add_scenario_args(parser)
    parser.add_argument("--strategies", type=strategy_list, default=list(DEFAULT_STRATEGIES),
                        help=f"comma-separated strategy names (default: {','.join(DEFAULT_STRATEGIES)}); "
                        "NAME@eager forces the eager protocol")
    parser.add_argument("--plot", type=Path, metavar="DIR", help="also write PNG charts into DIR")
    add_live_args(parser)
    parser.set_defaults(run=guarded(run))
