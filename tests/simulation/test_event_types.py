"""An event type is one module: a class registered in the table is parsed, validated and
simulated with nothing else touched, and refused live unless it defines a live effect."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from kpart.simulation import ScenarioError, Simulation, parse_scenario, simulate
from kpart.simulation.events import EVENT_TYPES, Event, Join, Outcome, event_type
from kpart.simulation.live import LiveUnsupported, check_live
from kpart.simulation.validation import Timeline, known, required


@dataclass(frozen=True)
class PollTimeout(Event):
    """A member stops polling past ``max.poll.interval.ms``: it is removed and rejoins."""

    member: str

    @property
    def label(self) -> str:
        return f"poll timeout {self.member}"

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> PollTimeout:
        known(d, p, ("type", "at", "member"))
        return cls(at, timeline.member(required(d, "member", p), f"{p}.member"))

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        return Outcome(sim.restart(self.member, t, 0.0))


@pytest.fixture
def poll_timeout() -> Iterator[type[Event]]:
    event_type("poll_timeout")(PollTimeout)
    try:
        yield PollTimeout
    finally:
        del EVENT_TYPES["poll_timeout"]


def scenario(events: list[dict[str, Any]]) -> Any:
    return parse_scenario({"topics": [{"name": "t", "partitions": 4}], "members": [{"count": 2}],
                           "timing": {"rebalance_round_s": 1}, "events": events})


def test_a_registered_type_is_parsed_and_simulated(poll_timeout: type[Event]) -> None:
    sc = scenario([{"type": "poll_timeout", "at": 60, "member": "c1"}])
    assert sc.events == (PollTimeout(60.0, "c1"),)
    e = simulate(sc, "range").events[1]
    # c1 leaves (one eager round, 60 -> 61), then rejoins as a new member (61 -> 62)
    assert (e.label, e.rebalances, e.rounds, e.end, e.members) == ("poll timeout c1", 2, 2, 62.0, 2)


def test_a_registered_type_is_validated_by_its_own_parse(poll_timeout: type[Event]) -> None:
    with pytest.raises(ScenarioError, match=r"^events\[0\]\.member: unknown member 'c9'$"):
        scenario([{"type": "poll_timeout", "member": "c9"}])
    with pytest.raises(ScenarioError, match=r"^events\[0\]\.seconds: unknown field; expected one of "
                                            r"type, at, member$"):
        scenario([{"type": "poll_timeout", "member": "c0", "seconds": 3}])


def test_unknown_types_are_named_with_every_registered_one(poll_timeout: type[Event]) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario([{"type": "explode"}])
    assert str(caught.value).endswith(", rack_outage, poll_timeout")


def test_a_type_without_a_live_effect_is_refused_live(poll_timeout: type[Event]) -> None:
    sc = scenario([{"type": "poll_timeout", "member": "c1"}])
    with pytest.raises(LiveUnsupported, match=r"'poll timeout c1' cannot be run live \(supported: join, "
                                              r"leave, crash, rolling_restart, static_bounce, "
                                              r"create_topic, add_partitions\)"):
        check_live(sc, ["range"])


def test_a_name_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="event type 'join' is already registered"):
        event_type("join")(PollTimeout)
    assert EVENT_TYPES["join"] is Join
