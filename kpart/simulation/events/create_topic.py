"""``create_topic``: a topic is created; members already subscribed to its name pick it up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kpart.simulation.events.base import Event, Outcome, event_type
from kpart.simulation.model import Topic
from kpart.simulation.validation import ScenarioError, known, partition_total, topic_entry

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.live import LiveRun
    from kpart.simulation.validation import Timeline


@event_type("create_topic")
@dataclass(frozen=True)
class CreateTopic(Event):
    """A topic is created; members already subscribed to its name pick it up."""

    topic: Topic

    @property
    def label(self) -> str:
        return f"create {self.topic.name} ({self.topic.partitions}p)"

    @classmethod
    def declared_topics(cls, d: Mapping[str, Any]) -> tuple[str, ...]:
        return (d["name"],) if isinstance(d.get("name"), str) else ()

    @classmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> CreateTopic:
        known(d, p, ("type", "at", "name", "partitions", "replication"))
        t = topic_entry(d, p, len(timeline.brokers))
        if t.name in timeline.counts:
            raise ScenarioError(f"{p}.name", f"topic {t.name!r} already exists")
        timeline.counts[t.name] = t.partitions
        partition_total(timeline.counts, f"{p}.partitions")
        return cls(at, t)

    def simulate(self, sim: Simulation, t: float) -> Outcome:
        sim.cluster.add_topic(self.topic)
        return Outcome(sim.topic_changed(self.topic.name, t))

    def live(self, run: LiveRun) -> None:
        run.create_topic(self.topic)

    def renamed(self, rename: Callable[[str], str]) -> CreateTopic:
        return replace(self, topic=replace(self.topic, name=rename(self.topic.name)))
