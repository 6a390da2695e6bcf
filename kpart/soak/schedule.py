"""The seeded fault schedule, and the simulator scenario for the faults as they were executed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kpart.simulation.events import AddPartitions, Crash, Event, Join, RollingRestart, StaticBounce
from kpart.simulation.model import Broker, MemberSpec, Timing, Topic
from kpart.simulation.scenario import Scenario

FAULTS = (
    "consumer_kill",  # kill -9 of one member
    "consumer_join",  # a new (dynamic) member joins
    "rolling_restart",  # every member closes cleanly and starts again, one after another
    "static_bounce",  # the leader (a static member) is killed and back within the session timeout
    "consumer_freeze",  # SIGSTOP of one member past max.poll.interval.ms, then SIGCONT
    "broker_kill",  # kill -9 of the broker leading most partitions, restarted later
    "coordinator_kill",  # kill -9 of the first group's coordinator, restarted later
    "partition_expansion",  # the topic grows
    "network_stall",  # the relay stops passing one broker's bytes for a while
)
"""Every fault the soak can inject, in the order a full schedule starts from."""

NOT_MODELLED = {"broker_kill", "coordinator_kill", "network_stall"}
"""Faults the simulator has no event for (it models the group, not broker restarts)."""


@dataclass(frozen=True)
class Fault:
    """One planned fault: ``at`` seconds after the groups first settled."""

    at: float
    kind: str


@dataclass
class ExecutedFault:
    """A fault as the runner applied it: when (``at``, seconds after settling), and to whom
    (``by_group``: group label -> member names; ``members``: all of them)."""

    at: float
    kind: str
    members: list[str] = field(default_factory=list)
    by_group: dict[str, list[str]] = field(default_factory=dict)
    broker: int | None = None
    detail: str = ""


def build_schedule(kinds: tuple[str, ...], span_s: float, seed: int) -> list[Fault]:
    """``kinds`` spread over ``span_s`` seconds, in a seeded order with seeded jitter.

    Faults are at least ``span_s / (len(kinds) + 1) * 0.8`` apart, so a group has time to settle.
    """
    for k in kinds:
        if k not in FAULTS:
            raise ValueError(f"unknown fault {k!r}; known: {', '.join(FAULTS)}")
    rng = random.Random(seed)
    order = list(kinds)
    rng.shuffle(order)
    step = span_s / (len(order) + 1)
    return [Fault(round(step * (i + 1) + rng.uniform(-0.1, 0.1) * step, 1), k) for i, k in enumerate(order)]


def scenario_of(
    faults: list[ExecutedFault], group: str, members: list[MemberSpec], partitions: int,
    timing: Timing, freeze_s: float, bounce_s: float, restart_gap_s: float,
) -> Scenario:
    """The simulator's scenario for the faults as executed on ``group`` (the faults in
    :data:`NOT_MODELLED` have no event). Freezing a member past the session timeout is a crash
    and a rejoin."""
    events: list[Event] = []
    for fault in faults:
        f = ExecutedFault(fault.at, fault.kind, fault.by_group.get(group, fault.members), detail=fault.detail)
        if f.kind == "consumer_kill":
            events += [Crash(f.at, m) for m in f.members]
        elif f.kind == "consumer_join":
            events.append(Join(f.at, tuple(MemberSpec(m, frozenset({"soak"})) for m in f.members)))
        elif f.kind == "rolling_restart":
            events.append(RollingRestart(f.at, tuple(f.members), restart_gap_s))
        elif f.kind == "static_bounce":
            events += [StaticBounce(f.at, m, bounce_s) for m in f.members]
        elif f.kind == "consumer_freeze":
            for m in f.members:
                spec = next(s for s in members if s.name == m)
                events += [Crash(f.at, m), Join(f.at + freeze_s, (spec,))]
        elif f.kind == "partition_expansion":
            events.append(AddPartitions(f.at, "soak", int(f.detail)))
    events.sort(key=lambda e: e.at)
    return Scenario(
        name=f"soak-{group}",
        brokers=tuple(Broker(i, f"rack-{i}") for i in (1, 2, 3)),
        topics=(Topic("soak", partitions, 3),),
        members=tuple(members),
        events=tuple(events),
        timing=timing,
    )
