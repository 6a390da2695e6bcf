"""``add_partitions``: a topic grows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kpart.simulation.events.base import Event, Outcome, event_type
from kpart.simulation.validation import (
    LIMITS,
    ScenarioError,
    integer,
    known,
    partition_total,
    required,
    string,
)

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.live import LiveRun
    from kpart.simulation.validation import Timeline


@event_type("add_partitions")
@dataclass(frozen=True)
class AddPartitions(Event):
    """A topic grows to ``partitions`` partitions."""

    topic: str
    partitions: int

    @property
    def label(self) -> str:
        return f"{self.topic} -> {self.partitions}p"

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> AddPartitions:
        known(d, p, ("type", "at", "topic", "partitions"))
        counts = timeline.counts
        topic = string(required(d, "topic", p), f"{p}.topic")
        if topic not in counts:
            raise ScenarioError(f"{p}.topic", f"unknown topic {topic!r}")
        n = integer(required(d, "partitions", p), f"{p}.partitions", 1, LIMITS["partitions"])
        if n <= counts[topic]:
            raise ScenarioError(f"{p}.partitions",
                                f"must be more than the current {counts[topic]} of {topic!r}")
        counts[topic] = n
        partition_total(counts, f"{p}.partitions")
        return cls(at, topic, n)

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        before = sim.cluster.count(self.topic)
        sim.cluster.grow(self.topic, self.partitions)
        remapped = None
        if sim.producer is not None and self.topic == sim.producer.spec.topic:
            remapped = sim.producer.remapped(before, self.partitions)
        return Outcome(sim.topic_changed(self.topic, t), remapped)

    def live(self, run: LiveRun) -> None:
        run.add_partitions(self.topic, self.partitions)

    def renamed(self, rename: Callable[[str], str]) -> AddPartitions:
        return replace(self, topic=rename(self.topic))
