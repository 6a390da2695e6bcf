"""``join``: new consumer processes join the group (one rebalance for all of them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kpart.simulation.events.base import Event, Outcome, event_type
from kpart.simulation.model import MemberSpec

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.live import LiveRun
    from kpart.simulation.validation import Timeline


@event_type("join")
@dataclass(frozen=True)
class Join(Event):
    """New consumer processes join the group (one rebalance for all of them)."""

    members: tuple[MemberSpec, ...]

    @property
    def label(self) -> str:
        if len(self.members) == 1:
            return f"join {self.members[0].name}"
        return f"join {len(self.members)} ({self.members[0].name}..{self.members[-1].name})"

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> Join:
        members = timeline.member_entry(d, p, ("type", "at"))
        for m in members:
            timeline.group[m.name] = m
        return cls(at, tuple(members))

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        for spec in self.members:
            sim.spawn(spec)
        sim.track(t)
        return Outcome(sim.rebalance(t))

    def live(self, run: LiveRun) -> None:
        for spec in self.members:
            run.group.start(spec)

    def renamed(self, rename: Callable[[str], str]) -> Join:
        return replace(self, members=tuple(replace(m, topics=frozenset(map(rename, m.topics)))
                                           for m in self.members))
