"""Run one scenario under several strategies, with a progress bar for long runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from tqdm import tqdm

from kpart.simulation.engine import simulate
from kpart.simulation.metrics import SimulationResult
from kpart.simulation.protocols import DEFAULT_STRATEGIES, Strategy, resolve_strategy
from kpart.simulation.scenario import Scenario


def compare(
    scenario: Scenario,
    strategies: Sequence[str | Strategy] = DEFAULT_STRATEGIES,
    progress: bool = True,
) -> list[SimulationResult]:
    """``scenario`` under each strategy, in the given order.

    Names are resolved first, so an unknown one fails before any work (``ValueError``). With
    ``progress``, a bar on stderr appears once a run has taken more than two seconds.
    """
    resolved = [resolve_strategy(s) if isinstance(s, str) else s for s in strategies]
    total = len(resolved) * (len(scenario.events) + 1)
    with tqdm(total=total, disable=not progress or None, delay=2.0, file=sys.stderr,
              unit="event", leave=False) as bar:
        results = []
        for strategy in resolved:
            bar.set_description(strategy.name)
            results.append(simulate(scenario, strategy, on_event=lambda: bar.update(1)))
            bar.update(1)
    return results
