"""Helpers shared by the simulator subcommands."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from kpart.simulation import (
    Scenario,
    ScenarioError,
    SimulationResult,
    default_scenario,
    load_scenario,
    to_csv,
    to_json,
)


def add_scenario_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", type=Path,
                        help="scenario file (.yaml/.yml/.json); omitted: the built-in default scenario")
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON instead of tables")
    out.add_argument("--csv", action="store_true", help="print CSV (one row per strategy and event)")
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")


def scenario_from(args: argparse.Namespace) -> Scenario:
    scenario = load_scenario(args.scenario) if args.scenario else default_scenario()
    if args.seed is not None:
        scenario = dataclasses.replace(scenario, seed=args.seed)
    return scenario


def print_as_data(args: argparse.Namespace, results: list[SimulationResult]) -> bool:
    """Print ``results`` as JSON or CSV when ``--json`` or ``--csv`` was given; True if so."""
    if args.json:
        print(to_json(results))
    elif args.csv:
        print(to_csv(results), end="")
    return bool(args.json or args.csv)


def fail(message: str) -> int:
    print(f"kpart: {message}", file=sys.stderr)
    return 2


def guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn bad scenarios and bad names into one clear line on stderr and exit status 2."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (ScenarioError, ValueError) as exc:
            return fail(str(exc))

    return wrapper


def strategy_list(text: str) -> list[str]:
    """``a,b,c`` as names; an empty list or an empty name between commas is refused."""
    names = [s.strip() for s in text.split(",")]
    if not any(names):
        raise argparse.ArgumentTypeError("name at least one")
    if not all(names):
        raise argparse.ArgumentTypeError(f"empty name in {text!r} (two commas in a row, or one at an end)")
    return names


def option_pair(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE read as a YAML scalar (``3`` is an int, ``user.id`` a string)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        value = yaml.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        value = raw
    return key.strip(), value if isinstance(value, str | int | float | bool) else raw


def add_live_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--live", action="store_true",
                        help="also run the scenario with real consumers (kafka-python; confluent-kafka "
                        "with group.protocol=consumer for kip848-*) on --bootstrap "
                        "and print predicted vs observed assignments")
    parser.add_argument("--bootstrap", metavar="HOST:PORT",
                        help="the broker for --live (`kpart broker status` shows the local one's)")
    parser.add_argument("--client-config", type=Path, metavar="FILE",
                        help="security settings (SASL PLAIN/SCRAM, SSL) for every client --live builds, "
                        "from a Java client.properties or librdkafka-style file (see docs/security.md)")


def live_bootstrap(args: argparse.Namespace) -> str | None:
    """The broker ``--live`` will use, checked before any simulation runs; None without ``--live``.

    Raises ``ValueError`` (one line) within a few seconds if no broker answers there.
    """
    if not args.live:
        if args.client_config is not None:
            raise ValueError("--client-config is for --live (the simulation itself needs no broker)")
        return None
    if not args.bootstrap:
        raise ValueError("--live needs --bootstrap HOST:PORT (e.g. the address `kpart broker status` shows)")
    if args.client_config is not None:
        secured_bootstrap(args.bootstrap, args.client_config)
        return str(args.bootstrap)
    from kpart.broker import BrokerError, reachable_bootstrap

    try:
        return reachable_bootstrap(args.bootstrap)[0]
    except BrokerError as exc:
        raise ValueError(f"--live: {exc}") from None


def secured_bootstrap(bootstrap: str, client_config: Path) -> None:
    """Load ``client_config``, check within seconds that it gets into ``bootstrap``, and hand
    it to every client this process and its children build; ``ValueError`` (one line) if not."""
    from kpart.client_access import AccessError, connect
    from kpart.client_config import ENVIRONMENT

    try:
        connect(bootstrap, client_config, "kafka-python")
    except AccessError as exc:
        raise ValueError(str(exc)) from None
    os.environ[ENVIRONMENT] = str(client_config.resolve())  # the path travels, never a secret


def live_report(scenario: Scenario, strategies: list[str], bootstrap: str | None) -> int:
    """Run ``scenario`` live for each strategy; 0 if every step matched the prediction."""
    from kpart.simulation.live import LiveError, LiveStep, run_live

    if not bootstrap:
        raise ValueError("--live needs --bootstrap HOST:PORT")
    worst = 0
    for strategy in strategies:
        print(f"\nlive run of {scenario.name!r} under {strategy} on {bootstrap}")
        print(f"{'step':<28}{'predicted rounds':>17}{'observed rounds':>16}  verdict")

        def show(step: LiveStep) -> None:
            observed = "-" if step.observed_rounds is None else step.observed_rounds
            print(f"{step.label:<28}{step.predicted_rounds:>17}{observed:>16}  {step.verdict}", flush=True)
            if step.verdict != "match":
                for name in sorted(set(step.predicted) | set(step.observed)):
                    print(f"    {name}: predicted {step.predicted.get(name)} "
                          f"observed {step.observed.get(name)}")

        try:
            steps = run_live(scenario, strategy, bootstrap, on_step=show)
        except LiveError as exc:
            print(f"kpart: live run failed: {exc}", file=sys.stderr)
            return 2
        if any(s.verdict == "DIFFERS" for s in steps):
            worst = 1
    return worst
