"""A whole scenario: the initial cluster and group, an optional producer, and the timeline."""

from __future__ import annotations

from dataclasses import dataclass, field

from kpart.simulation.events import Event
from kpart.simulation.model import Broker, MemberSpec, ProducerSpec, Timing, Topic


@dataclass(frozen=True)
class Scenario:
    """A whole scenario: initial cluster and group, optional producer, and the event timeline."""

    name: str
    brokers: tuple[Broker, ...]
    topics: tuple[Topic, ...]
    members: tuple[MemberSpec, ...]
    events: tuple[Event, ...] = ()
    producer: ProducerSpec | None = None
    timing: Timing = field(default_factory=Timing)
    seed: int = 0
    description: str = ""
    broker_version: str = "4.1"
    """The broker's Kafka version, where protocol behaviour differs (see
    :data:`kpart.simulation.protocols.CONSUMER_PROTOCOL_SINCE`)."""
