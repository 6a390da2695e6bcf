"""The built-in default scenario that ``kpart compare`` runs with no arguments.

A compact tour of what hurts in practice: scale out, a crash, a clean leave, a rolling
restart, and partition growth, on racks with a hot-key producer. It runs in well under a
second per strategy.
"""

from __future__ import annotations

from typing import Any

from kpart.simulation.loading import parse_scenario
from kpart.simulation.scenario import Scenario

DEFAULT_SCENARIO: dict[str, Any] = {
    "name": "default",
    "description": "6 consumers on 3 racks, 2 topics; scale out, crash, leave, rolling restart, growth",
    "seed": 7,
    "brokers": {"count": 3, "racks": ["a", "b", "c"]},
    "topics": [
        {"name": "orders", "partitions": 12, "replication": 2},
        {"name": "payments", "partitions": 6, "replication": 2},
    ],
    "members": [{"count": 6, "prefix": "c", "racks": ["a", "b", "c"]}],
    "producer": {
        "topic": "orders",
        "partitioner": "murmur2",
        "keys": {"distribution": "zipf", "count": 5000, "exponent": 1.1},
        "records": 200_000,
    },
    "events": [
        {"type": "join", "count": 2, "racks": ["a", "b"]},
        {"type": "crash", "member": "c3"},
        {"type": "leave", "member": "c1"},
        {"type": "rolling_restart", "interval_s": 30},
        {"type": "add_partitions", "topic": "orders", "partitions": 24},
    ],
}


def default_scenario() -> Scenario:
    """The validated built-in scenario."""
    return parse_scenario(DEFAULT_SCENARIO)
