"""``static_bounce``: a static member is away for a while and comes back."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpart.simulation.events.base import Event, Outcome, event_type
from kpart.simulation.validation import ScenarioError, known, number, required

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.live import LiveRun
    from kpart.simulation.validation import Timeline


@event_type("static_bounce")
@dataclass(frozen=True)
class StaticBounce(Event):
    """A static member is away for ``downtime_s``; within the session timeout no rebalance."""

    member: str
    downtime_s: float

    @property
    def label(self) -> str:
        return f"bounce {self.member} {self.downtime_s:g}s"

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> StaticBounce:
        known(d, p, ("type", "at", "member", "downtime_s"))
        name = timeline.member(required(d, "member", p), f"{p}.member")
        if not timeline.group[name].static:
            raise ScenarioError(f"{p}.member", f"member {name!r} is not static (set static: true)")
        down = number(d.get("downtime_s", timeline.timing.restart_downtime_s), f"{p}.downtime_s",
                      positive=True)
        return cls(at, name, down)

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        return Outcome(sim.restart(self.member, t, self.downtime_s))

    def live(self, run: LiveRun) -> None:
        # a consumer-protocol static member's close is its temporary leave (member epoch -2)
        spec = run.group.stop(self.member, crash=not run.group.runs_consumer_protocol(self.member))
        time.sleep(self.downtime_s)
        run.group.start(spec)
