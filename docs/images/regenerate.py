"""Regenerate the figures of the documentation from the ready scenarios.

Run from the repository root:  python docs/images/regenerate.py

Each scenario of examples/scenarios/ is simulated under the default strategies and its charts
are written to docs/images/<scenario file name>/; the same as running
``kpart compare examples/scenarios/<name>.yaml --plot docs/images/<name>`` for each.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kpart.simulation import compare, load_scenario
from kpart.simulation.keys import KeyDistribution
from kpart.simulation.plotting import plot_comparison

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    for path in sorted((ROOT / "examples" / "scenarios").glob("*.yaml")):
        scenario = load_scenario(path)
        results = compare(scenario, progress=False)
        keys = None
        if scenario.producer is not None and results[0].records_per_partition is not None:
            keys = KeyDistribution(scenario.producer.partitioner, np.array(results[0].records_per_partition))
        for out in plot_comparison(results, ROOT / "docs" / "images" / path.stem, keys):
            print(out.relative_to(ROOT))


if __name__ == "__main__":
    main()
