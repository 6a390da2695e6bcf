"""Per-event and total metrics of one simulation run."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class EventMetrics:
    """What one event cost. Times are simulated seconds; ``compute_ms`` is real time spent in
    ``assign`` (the only field that is not deterministic).

    ``moved``: hand-overs of a partition to a member other than its previous owner.
    ``revoked``: partitions the protocol took from a live member (eager revokes everything).
    ``unowned_ps``: partition-seconds during which a subscribed partition had no consumer.
    ``spread``: max - min partitions per member after the event; ``stddev`` of those counts.
    ``load_ratio``: max / mean records per member (when the scenario has a producer).
    ``rack_locality``: share of partitions owned by a member with a replica on its rack.
    """

    index: int
    label: str
    at: float
    start: float
    end: float
    members: int
    partitions: int
    rebalances: int
    rounds: int
    moved: int
    revoked: int
    unowned_ps: float
    spread: int
    stddev: float
    load_ratio: float | None
    rack_locality: float | None
    compute_ms: float
    keys_remapped: float | None = None


@dataclass(frozen=True)
class Totals:
    """Sums over all events (the initial formation of the group excluded) and final state."""

    rebalances: int
    rounds: int
    moved: int
    revoked: int
    unowned_ps: float
    compute_ms: float
    final_spread: int
    worst_spread: int
    final_stddev: float
    final_load_ratio: float | None
    final_rack_locality: float | None

    @classmethod
    def of(cls, events: list[EventMetrics]) -> Totals:
        after = events[1:]
        last = events[-1]
        return cls(
            rebalances=sum(e.rebalances for e in after),
            rounds=sum(e.rounds for e in after),
            moved=sum(e.moved for e in after),
            revoked=sum(e.revoked for e in after),
            unowned_ps=sum(e.unowned_ps for e in after),
            compute_ms=sum(e.compute_ms for e in after),
            final_spread=last.spread,
            worst_spread=max(e.spread for e in events),
            final_stddev=last.stddev,
            final_load_ratio=last.load_ratio,
            final_rack_locality=last.rack_locality,
        )


@dataclass(frozen=True)
class SimulationResult:
    """One scenario run under one strategy: events (``events[0]`` is the group forming),
    totals, the final assignment (member name -> sorted ``"topic-partition"`` strings), the
    producer's records per partition at the end, and the ``timeline``: (time, spread, load
    ratio) each time the group settled, including every rebalance inside an event."""

    scenario: str
    strategy: str
    protocol: str
    events: list[EventMetrics]
    totals: Totals
    final_assignment: dict[str, list[str]]
    records_per_partition: list[int] | None = field(default=None)
    timeline: list[tuple[float, int, float | None]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def spread_and_stddev(counts: list[int]) -> tuple[int, float]:
    """(max - min, population standard deviation) of ``counts``; (0, 0.0) when empty."""
    if not counts:
        return 0, 0.0
    mean = sum(counts) / len(counts)
    return max(counts) - min(counts), math.sqrt(sum((c - mean) ** 2 for c in counts) / len(counts))
