"""Compare assignment strategies on a scenario, offline, with the public API.

    python examples/compare_strategies.py                       # the built-in default scenario
    python examples/compare_strategies.py examples/scenarios/rolling-restart.yaml --plot charts/
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kpart.simulation import compare, comparison_table, default_scenario, load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", type=Path, help="a scenario file; default: the built-in one")
    parser.add_argument("--strategies", default="range,roundrobin,sticky,cooperative-sticky,kip848-uniform")
    parser.add_argument("--plot", type=Path, metavar="DIR", help="also write PNG charts into DIR")
    args = parser.parse_args()

    scenario = load_scenario(args.scenario) if args.scenario else default_scenario()
    results = compare(scenario, args.strategies.split(","))
    print(comparison_table(results))

    best = min(results, key=lambda r: r.totals.unowned_ps)
    print(f"\nleast time without a consumer: {best.strategy} "
          f"({best.totals.unowned_ps:,.0f} partition-seconds)")
    if args.plot:
        from kpart.simulation.plotting import plot_comparison

        for path in plot_comparison(results, args.plot):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
