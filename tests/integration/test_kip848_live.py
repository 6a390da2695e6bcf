"""User story: what the simulator predicts for a KIP-848 group is the broker's target assignment.

Members ``s0``, ``s1`` (static) and ``d0`` are confluent-kafka consumers with
``group.protocol=consumer`` naming the broker's assignor (``group.remote.assignor``);
``legacy`` is a classic kafka-python consumer naming ``cooperative-sticky``, which the broker
ignores: its own assignor assigns it. Each runs in its own process, through the same
:func:`kpart.simulation.live.run_live` machinery as ``kpart compare --live``. After every step
(joins, partition growth, a static member's return, a leave) the group settles (every member
reconciled to the broker's target, nothing changing for 2 s) and the broker's target
assignment, read with the admin client, must equal the simulator's prediction made with the
member ids the broker reports.

A freshly formed group (the first two steps) must match with today's models of the broker's
assignors. Later steps need the exact ports of the broker's 4.1 ``uniform`` and ``range``
(previous-target handling, member order): until the simulator has them, the full comparison is
an expected failure (strict, so it turns into a failure to notice once they match).
"""

from __future__ import annotations

import pytest

from kpart.simulation import parse_scenario
from kpart.simulation.live import run_live

SCENARIO = {
    "timing": {"restart_downtime_s": 2},
    "topics": [{"name": "orders", "partitions": 6}],
    "members": [{"name": "s0", "static": True}, {"name": "s1", "static": True}],
    "events": [
        {"type": "join", "name": "d0"},
        {"type": "join", "name": "legacy", "strategy": "cooperative-sticky"},
        {"type": "add_partitions", "topic": "orders", "partitions": 9},
        {"type": "static_bounce", "member": "s1", "downtime_s": 2},
        {"type": "leave", "member": "d0"},
    ],
}
STEPS = ["start", "join", "join", "join", "orders", "bounce", "leave"]  # topics get a unique suffix


@pytest.mark.integration
@pytest.mark.parametrize("strategy", ["kip848-uniform", "kip848-range"])
def test_broker_target_assignment_equals_the_prediction_after_every_step(
        strategy: str, kafka_bootstrap: str) -> None:
    steps = run_live(parse_scenario(SCENARIO), strategy, kafka_bootstrap)

    differing = [f"{s.label}: predicted {s.predicted}, broker's target {s.observed}"
                 for s in steps if s.verdict != "match"]
    if [s.label.split()[0].split("-")[0] for s in steps] != STEPS or any(s.verdict != "match"
                                                                          for s in steps[:2]):
        pytest.fail("a freshly formed group must match already:\n" + "\n".join(differing))  # not xfail
    assert not differing, "\n".join(differing)
