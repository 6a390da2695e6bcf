"""``subscribe``: a member changes its subscription and rejoins."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kpart.simulation.events.base import Event, Outcome, event_type
from kpart.simulation.protocols import Protocol
from kpart.simulation.validation import known, required

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.validation import Timeline


@event_type("subscribe")
@dataclass(frozen=True)
class Subscribe(Event):
    """A member changes its subscription to ``topics`` and rejoins."""

    member: str
    topics: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.member} subscribes {','.join(sorted(self.topics))}"

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> Subscribe:
        known(d, p, ("type", "at", "member", "topics"))
        name = timeline.member(required(d, "member", p), f"{p}.member")
        subs = timeline.subscription(required(d, "topics", p), f"{p}.topics")
        timeline.group[name] = replace(timeline.group[name], topics=subs)
        return cls(at, name, subs)

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        proc = sim.group[self.member]
        proc.spec = replace(proc.spec, topics=self.topics)
        if sim.assigning().protocol is Protocol.COOPERATIVE:
            sim.revoke(proc, [tp for tp in proc.owned if tp.topic not in self.topics], t)
        sim.track(t)
        return Outcome(sim.rebalance(t))

    def renamed(self, rename: Callable[[str], str]) -> Subscribe:
        return replace(self, topics=frozenset(map(rename, self.topics)))
