"""User story: what the simulator predicts is what a live kafka-python group does.

For each classic strategy, a small scenario runs through :func:`kpart.simulation.live.run_live`:
in the simulator, and as real kafka-python consumers (separate processes, using the
``strategies`` kafka-python adapter) on the real broker. Members ``c0``..``c2`` are static
(``group_instance_id``); one dynamic member ``d`` joins and leaves cleanly. A second scenario has
dynamic members only, through partition growth. After every step the live group's settled
assignment must equal the simulator's prediction, and under the cooperative protocol the number
of rebalance rounds (generations) must match too.
"""

from __future__ import annotations

import pytest

from kpart.simulation import parse_scenario
from kpart.simulation.live import run_live

SCENARIO = {
    "topics": [{"name": "left", "partitions": 4}, {"name": "right", "partitions": 3}],
    "members": [{"name": "c0", "static": True}],
    "events": [
        {"type": "join", "name": "c1", "static": True},
        {"type": "join", "name": "c2", "static": True},
        {"type": "join", "name": "d"},
        {"type": "leave", "member": "d"},
    ],
}


@pytest.mark.integration
@pytest.mark.parametrize("strategy", ["range", "roundrobin", "sticky", "cooperative-sticky"])
def test_live_group_ends_with_the_simulated_assignment(strategy: str, kafka_bootstrap: str) -> None:
    steps = run_live(parse_scenario(SCENARIO), strategy, kafka_bootstrap)

    assert [s.label.split()[0] for s in steps] == ["start", "join", "join", "join", "leave"]
    for step in steps:
        assert step.verdict == "match", f"{step.label}: predicted {step.predicted}, observed {step.observed}"
        if strategy == "cooperative-sticky":
            assert step.observed_rounds == step.predicted_rounds, f"rebalance rounds of {step.label}"


# dynamic members only: the simulator orders them by name because a coordinator's member id is
# the member's client.id (its name, in the live workers) followed by a UUID
GROWTH = {
    "topics": [{"name": "orders", "partitions": 3}],
    "members": [{"count": 4, "prefix": "c"}],
    "events": [{"type": "add_partitions", "topic": "orders", "partitions": 10}],
}


@pytest.mark.integration
@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_dynamic_members_through_partition_growth_match_step_by_step(
    strategy: str, kafka_bootstrap: str
) -> None:
    steps = run_live(parse_scenario(GROWTH), strategy, kafka_bootstrap)

    assert [s.label.split()[0] for s in steps[:4]] == ["start", "join", "join", "join"]
    assert steps[4].label.endswith("-> 10p")
    for step in steps:
        assert step.verdict == "match", f"{step.label}: predicted {step.predicted}, observed {step.observed}"
