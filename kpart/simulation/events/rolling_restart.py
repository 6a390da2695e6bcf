"""``rolling_restart``: members restart one after another (optionally into another strategy)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kpart.simulation.events.base import Event, Outcome, event_type
from kpart.simulation.validation import known, listed, number

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.live import LiveRun
    from kpart.simulation.validation import Timeline


@event_type("rolling_restart")
@dataclass(frozen=True)
class RollingRestart(Event):
    """Members restart one after another, ``interval_s`` apart (each away for the downtime).

    With ``strategy``, each comes back running it: a rolling migration, e.g. from
    ``cooperative-sticky`` to the consumer protocol (``kip848-uniform``).
    """

    members: tuple[str, ...]
    interval_s: float
    strategy: str | None = None

    @property
    def label(self) -> str:
        into = f" to {self.strategy}" if self.strategy else ""
        return f"rolling restart of {len(self.members)}{into}"

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> RollingRestart:
        known(d, p, ("type", "at", "members", "interval_s", "strategy"))
        sel = d.get("members", "all")
        if sel == "all":
            names = tuple(timeline.group)
        else:
            names = tuple(timeline.member(v, f"{p}.members[{j}]")
                          for j, v in enumerate(listed(sel, f"{p}.members")))
        interval = number(d.get("interval_s", 30.0), f"{p}.interval_s")
        into = timeline.strategy(d["strategy"], f"{p}.strategy") if "strategy" in d else None
        if into is not None:
            timeline.group.update({n: replace(timeline.group[n], strategy=into) for n in names})
        return cls(at, names, interval, into)

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        end = t
        for i, name in enumerate(self.members):
            end = sim.restart(name, max(t + i * self.interval_s, end), sim.timing.restart_downtime_s,
                              self.strategy)
        return Outcome(end)

    def live(self, run: LiveRun) -> None:
        group = run.group
        for i, name in enumerate(self.members):
            static = group.specs[name].static
            spec = group.stop(name, crash=static and not group.runs_consumer_protocol(name))
            if self.strategy is not None:
                spec = replace(spec, strategy=self.strategy)
            time.sleep(run.downtime_s)
            group.start(spec)
            if i < len(self.members) - 1:
                run.settle(not static)
                time.sleep(self.interval_s)
