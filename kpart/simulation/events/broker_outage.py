"""``broker_outage``: brokers go down."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kpart.simulation.events.base import Event, Outcome, event_type
from kpart.simulation.validation import MAX_BROKER_ID, ScenarioError, integer, known, listed, required

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.validation import Timeline


@event_type("broker_outage")
@dataclass(frozen=True)
class BrokerOutage(Event):
    """Brokers go down: their replicas stop counting for rack locality."""

    brokers: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"brokers {','.join(map(str, self.brokers))} down"

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> BrokerOutage:
        known(d, p, ("type", "at", "brokers"))
        ids = [integer(b, f"{p}.brokers[{j}]", 0, MAX_BROKER_ID)
               for j, b in enumerate(listed(required(d, "brokers", p), f"{p}.brokers"))]
        for j, b in enumerate(ids):
            if b not in timeline.live_brokers:
                raise ScenarioError(f"{p}.brokers[{j}]", f"unknown or already down broker {b!r}")
            timeline.live_brokers.discard(b)
        return cls(at, tuple(ids))

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        sim.cluster.brokers_down(set(self.brokers))
        rack_aware = any(p.spec.rack for p in sim.group.values()) and sim.cluster.has_racks
        return Outcome(sim.rebalance(t + sim.metadata_delay()) if rack_aware else t)
