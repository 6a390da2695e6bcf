"""Events on a scenario's timeline. Each is frozen data with the time ``at`` (seconds).

The engine (:mod:`kpart.simulation.engine`) gives each its effect on the group: who leaves,
who joins, which metadata changes, and whether a rebalance follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpart.simulation.model import MemberSpec, Topic


@dataclass(frozen=True)
class Join:
    """New consumer processes join the group (one rebalance for all of them)."""

    at: float
    members: tuple[MemberSpec, ...]

    @property
    def label(self) -> str:
        if len(self.members) == 1:
            return f"join {self.members[0].name}"
        return f"join {len(self.members)} ({self.members[0].name}..{self.members[-1].name})"


@dataclass(frozen=True)
class Leave:
    """A member closes cleanly: it releases its partitions and sends LeaveGroup at once."""

    at: float
    member: str

    @property
    def label(self) -> str:
        return f"leave {self.member}"


@dataclass(frozen=True)
class Crash:
    """A member dies; its partitions sit unconsumed until the session timeout expires."""

    at: float
    member: str

    @property
    def label(self) -> str:
        return f"crash {self.member}"


@dataclass(frozen=True)
class RollingRestart:
    """Members restart one after another, ``interval_s`` apart (each away for the downtime).

    With ``strategy``, each comes back running it: a rolling migration, e.g. from
    ``cooperative-sticky`` to the consumer protocol (``kip848-uniform``).
    """

    at: float
    members: tuple[str, ...]
    interval_s: float
    strategy: str | None = None

    @property
    def label(self) -> str:
        into = f" to {self.strategy}" if self.strategy else ""
        return f"rolling restart of {len(self.members)}{into}"


@dataclass(frozen=True)
class StaticBounce:
    """A static member is away for ``downtime_s``; within the session timeout no rebalance."""

    at: float
    member: str
    downtime_s: float

    @property
    def label(self) -> str:
        return f"bounce {self.member} {self.downtime_s:g}s"


@dataclass(frozen=True)
class Subscribe:
    """A member changes its subscription to ``topics`` and rejoins."""

    at: float
    member: str
    topics: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.member} subscribes {','.join(sorted(self.topics))}"


@dataclass(frozen=True)
class CreateTopic:
    """A topic is created; members already subscribed to its name pick it up."""

    at: float
    topic: Topic

    @property
    def label(self) -> str:
        return f"create {self.topic.name} ({self.topic.partitions}p)"


@dataclass(frozen=True)
class AddPartitions:
    """A topic grows to ``partitions`` partitions."""

    at: float
    topic: str
    partitions: int

    @property
    def label(self) -> str:
        return f"{self.topic} -> {self.partitions}p"


@dataclass(frozen=True)
class BrokerOutage:
    """Brokers go down: their replicas stop counting for rack locality."""

    at: float
    brokers: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"brokers {','.join(map(str, self.brokers))} down"


@dataclass(frozen=True)
class RackOutage:
    """A whole rack fails: its brokers go down and its consumers crash."""

    at: float
    rack: str

    @property
    def label(self) -> str:
        return f"rack {self.rack} down"


Event = (
    Join | Leave | Crash | RollingRestart | StaticBounce | Subscribe | CreateTopic | AddPartitions
    | BrokerOutage | RackOutage
)

EVENT_TYPES: dict[str, type] = {
    "join": Join,
    "leave": Leave,
    "crash": Crash,
    "rolling_restart": RollingRestart,
    "static_bounce": StaticBounce,
    "subscribe": Subscribe,
    "create_topic": CreateTopic,
    "add_partitions": AddPartitions,
    "broker_outage": BrokerOutage,
    "rack_outage": RackOutage,
}
"""Scenario ``type`` names -> event classes."""
