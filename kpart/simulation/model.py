"""Value types of a scenario: brokers, topics, members, the producer stream and timing.

Everything here is frozen data checked by :mod:`kpart.simulation.loading`; the simulator never
mutates it, so one scenario can be run under many strategies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Broker:
    """A broker and the rack it sits in (``None``: racks unknown)."""

    id: int
    rack: str | None = None


@dataclass(frozen=True)
class Topic:
    """A topic, its partition count and replication factor."""

    name: str
    partitions: int
    replication: int = 1


@dataclass(frozen=True)
class MemberSpec:
    """A consumer process: its name in the scenario, subscription, rack and static membership.

    ``name`` identifies the process slot across restarts. A static member uses its name as
    ``group.instance.id``; every process gets a coordinator-style random member id.
    ``strategy`` is what this process runs (a classic assignor, or ``kip848-*`` for the consumer
    protocol with that ``group.remote.assignor``); ``None`` runs the strategy being simulated.
    """

    name: str
    topics: frozenset[str]
    rack: str | None = None
    static: bool = False
    strategy: str | None = None


@dataclass(frozen=True)
class KeySpec:
    """How record keys are drawn: ``uniform`` or ``zipf`` over ``count`` distinct keys, or every
    line of ``file`` as one record's key."""

    distribution: str = "uniform"
    count: int = 1000
    exponent: float = 1.1
    file: Path | None = None


@dataclass(frozen=True)
class ProducerSpec:
    """A stream of ``records`` keyed records sent to ``topic`` through ``partitioner``.

    ``rate_per_s``, ``record_bytes``, ``linger_ms`` and ``batch_size`` only feed the batch-fill
    estimate. ``partitioner_options`` are the keyword options the partitioner is created with
    (e.g. ``(("field", "user.id"), ("source", "key"))`` for ``field``).
    """

    topic: str
    partitioner: str = "murmur2"
    keys: KeySpec = field(default_factory=KeySpec)
    records: int = 100_000
    rate_per_s: float = 10_000.0
    record_bytes: int = 200
    linger_ms: float = 5.0
    batch_size: int = 16384
    partitioner_options: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Timing:
    """Latencies of the protocols, in seconds.

    ``rebalance_round_s``: one classic JoinGroup+SyncGroup round, from the trigger until every
    member holds its assignment (default 3 s: members learn of a rebalance on their next
    heartbeat, ``heartbeat.interval.ms`` 3 s, then join and sync). ``session_timeout_s``: how
    long a crashed member keeps its partitions before the coordinator notices (classic default
    45 s). ``restart_downtime_s``: how long a restarted process is away.
    ``heartbeat_interval_s``: the KIP-848 heartbeat period (broker default 5 s), which paces
    incremental reconciliation.
    ``metadata_refresh_s``: the classic consumer's ``metadata.max.age.ms`` (default 300 s); a
    classic group notices new partitions on the leader's next refresh, taken as half of it on
    average (KIP-848 brokers notice at once). ``event_interval_s``: spacing of events that give
    no ``at``.
    """

    rebalance_round_s: float = 3.0
    session_timeout_s: float = 45.0
    restart_downtime_s: float = 10.0
    heartbeat_interval_s: float = 5.0
    metadata_refresh_s: float = 300.0
    event_interval_s: float = 60.0
