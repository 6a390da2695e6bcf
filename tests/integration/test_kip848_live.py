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

``range`` must match exactly at every step. ``uniform`` must match exactly while the group
forms; from the classic member's join on, the broker can break a tie differently from the
port, on inputs a live broker does not let us reproduce (the order in which it reads each
member's previous target, its random member ids; the port equals the broker's own classes on
the same inputs, see ``tests/reference``). There a step must match, or differ only in such a
tie-break: the same partitions, the same spread of counts, and as many partitions moved from
the previous step as the simulator moved.
"""

from __future__ import annotations

import pytest

from kpart.simulation import parse_scenario
from kpart.simulation.live import LiveStep, run_live

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

    assert [s.label.split()[0].split("-")[0] for s in steps] == STEPS
    tie_breaks_allowed_from = STEPS.index("join") + 2 if strategy == "kip848-uniform" else len(STEPS)
    differing = [
        f"{s.label}: predicted {s.predicted}, broker's target {s.observed}"
        for i, s in enumerate(steps)
        if s.verdict != "match"
        and not (i >= tie_breaks_allowed_from and only_a_tie_break(steps[i - 1], s))
    ]
    assert not differing, "\n".join(differing)


def _moved(before: dict[str, list[str]], after: dict[str, list[str]]) -> int:
    owner = {tp: m for m, tps in before.items() for tp in tps}
    return sum(1 for m, tps in after.items() for tp in tps if tp in owner and owner[tp] != m)


def only_a_tie_break(previous: LiveStep, step: LiveStep) -> bool:
    """The broker's target differs from the prediction only in which member of equal standing
    takes which partition: same partitions, same spread of counts, same number moved."""
    predicted, observed = step.predicted, step.observed
    def parts(a: dict[str, list[str]]) -> list[str]:
        return sorted(tp for tps in a.values() for tp in tps)
    return (parts(predicted) == parts(observed) and len(set(parts(observed))) == len(parts(observed))
            and sorted(map(len, predicted.values())) == sorted(map(len, observed.values()))
            and _moved(previous.predicted, predicted) == _moved(previous.observed, observed))
