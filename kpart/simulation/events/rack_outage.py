"""``rack_outage``: a whole rack fails, brokers and consumers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpart.simulation.events.base import Event, Outcome, event_type
from kpart.simulation.validation import ScenarioError, known, required, string

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.validation import Timeline


@event_type("rack_outage")
@dataclass(frozen=True)
class RackOutage(Event):
    """A whole rack fails: its brokers go down and its consumers crash."""

    rack: str

    @property
    def label(self) -> str:
        return f"rack {self.rack} down"

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> RackOutage:
        known(d, p, ("type", "at", "rack"))
        rack = string(required(d, "rack", p), f"{p}.rack")
        brokers = timeline.brokers
        if rack not in {b.rack for b in brokers if b.id in timeline.live_brokers}:
            raise ScenarioError(f"{p}.rack", f"unknown rack {rack!r} (or all its brokers are down)")
        timeline.live_brokers -= {b.id for b in brokers if b.rack == rack}
        for name in [n for n, m in timeline.group.items() if m.rack == rack]:
            timeline.depart(name, f"went down with rack {rack!r} at {p}")
        return cls(at, rack)

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        sim.cluster.brokers_down({b.id for b in sim.cluster.brokers if b.rack == self.rack})
        victims = [p.name for p in sim.group.values() if p.spec.rack == self.rack]
        if victims:
            return Outcome(sim.crash(victims, t))
        return Outcome(sim.rebalance(t + sim.metadata_delay()))
