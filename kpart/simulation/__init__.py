"""Offline simulator: predict what a consumer group and a producer will do, without a broker.

It calls the same cores as the live adapters -- ``strategies.get_assignor(name).assign(...)``
for every assignment and ``partitioning.registry.create(name).partition(...)`` for every key -- so
a predicted assignment is the one a live group using the same assignor ends up with.

>>> from kpart.simulation import compare, default_scenario, comparison_table
>>> print(comparison_table(compare(default_scenario())))  # doctest: +SKIP
"""

from kpart.simulation.builtin import default_scenario
from kpart.simulation.engine import Simulation, simulate
from kpart.simulation.loading import ScenarioError, load_scenario, parse_scenario
from kpart.simulation.metrics import EventMetrics, SimulationResult, Totals
from kpart.simulation.protocols import (
    CLASSIC,
    DEFAULT_STRATEGIES,
    Protocol,
    Strategy,
    resolve_strategy,
    strategy_names,
)
from kpart.simulation.report import comparison_table, events_table, to_csv, to_json
from kpart.simulation.runner import compare
from kpart.simulation.scenario import Scenario

__all__ = [
    "CLASSIC",
    "DEFAULT_STRATEGIES",
    "EventMetrics",
    "Protocol",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "SimulationResult",
    "Strategy",
    "Totals",
    "compare",
    "comparison_table",
    "default_scenario",
    "events_table",
    "load_scenario",
    "parse_scenario",
    "resolve_strategy",
    "simulate",
    "strategy_names",
    "to_csv",
    "to_json",
]
