"""``leave``: a member closes cleanly, releasing its partitions and leaving the group at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpart.simulation.events.base import Event, Outcome, event_type
from kpart.simulation.validation import known, required

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.live import LiveRun
    from kpart.simulation.validation import Timeline


@event_type("leave")
@dataclass(frozen=True)
class Leave(Event):
    """A member closes cleanly: it releases its partitions and sends LeaveGroup at once."""

    member: str

    @property
    def label(self) -> str:
        return f"leave {self.member}"

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> Leave:
        known(d, p, ("type", "at", "member"))
        name = timeline.member(required(d, "member", p), f"{p}.member")
        timeline.depart(name, f"left at {p}")
        return cls(at, name)

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        return Outcome(sim.leave(self.member, t))

    def live(self, run: LiveRun) -> None:
        run.group.stop(self.member)
