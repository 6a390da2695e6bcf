"""Helpers shared by the simulator subcommands."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from kpart.simulation import Scenario, ScenarioError, default_scenario, load_scenario


def add_scenario_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", type=Path,
                        help="scenario file (.yaml/.yml/.json); omitted: the built-in default scenario")
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON instead of tables")
    out.add_argument("--csv", action="store_true", help="print CSV (one row per strategy and event)")


def scenario_from(args: argparse.Namespace) -> Scenario:
    scenario = load_scenario(args.scenario) if args.scenario else default_scenario()
    if args.seed is not None:
        scenario = dataclasses.replace(scenario, seed=args.seed)
    return scenario


def fail(message: str) -> int:
    print(f"kpart: {message}", file=sys.stderr)
    return 2


def guarded(run):  # type: ignore[no-untyped-def]
    """Turn bad scenarios and bad names into one clear line on stderr and exit status 2."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (ScenarioError, ValueError) as exc:
            return fail(str(exc))

    return wrapper


def strategy_list(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one strategy")
    return names
