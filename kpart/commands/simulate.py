"""``kpart simulate``: one scenario under one strategy, event by event."""

from __future__ import annotations

import argparse

from kpart.commands._common import (
    add_live_args,
    add_scenario_args,
    guarded,
    live_bootstrap,
    live_report,
    print_as_data,
    scenario_from,
)
from kpart.simulation import compare, events_table


def run(args: argparse.Namespace) -> int:
    scenario = scenario_from(args)
    bootstrap = live_bootstrap(args)  # refuse a missing broker before simulating
    [result] = compare(scenario, [args.strategy], progress=not args.no_progress)
    if not print_as_data(args, [result]):
        print(f"scenario {scenario.name!r} under {result.strategy} ({result.protocol} protocol)\n")
        print(events_table(result))
    if args.live:
        return live_report(scenario, [args.strategy], bootstrap)
    return 0


def add(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "simulate",
        help="run a scenario under one assignment strategy and show every event (no broker)",
        description="Simulate one scenario under one strategy; prints a per-event table and totals.",
    )
    add_scenario_args(parser)
    parser.add_argument("--strategy", default="cooperative-sticky",
                        help="strategy name (default: %(default)s); NAME@eager forces the eager protocol")
    add_live_args(parser)
    parser.set_defaults(run=guarded(run))
