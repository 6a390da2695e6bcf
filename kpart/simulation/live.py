"""Run a scenario against a real broker with real consumers, next to its prediction.

Each member is a separate process (:mod:`kpart.simulation.live_worker`): a classic member is a
kafka-python consumer using the ``strategies`` kafka-python adapter, a ``kip848-*`` member a
confluent-kafka consumer with ``group.protocol=consumer``. After every event the live group is
left to settle, and its assignment is compared with the simulator's prediction for the same
point of the timeline.

When any member speaks the consumer protocol, what is compared is the broker's *target*
assignment (read with the admin client), once every member has reconciled to it and it has not
changed for 2 s; the prediction then uses the member ids the broker reports, since the broker's
assignors order members by id. Such a group gets 1 s heartbeats when the broker allows it.

Topics are created with a unique suffix so runs never collide. Live processes cannot all join
in the same instant, so the live run (and its prediction) starts the initial members one at a
time. Member order is reproducible
only for static members (ordered by ``group.instance.id``); dynamic members get random member
ids from the broker, so with several dynamic members an order-dependent strategy may assign the
same partition sets to different members: that is reported as "same up to member names".
Events whose type defines a live effect (:meth:`kpart.simulation.events.Event.live`) can run:
join, leave, crash, rolling_restart, static_bounce, create_topic, add_partitions. Live
consumers refresh metadata every 5 s so topic growth is noticed quickly.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpart.simulation.engine import Simulation, simulate
from kpart.simulation.events import EVENT_TYPES, Join, RollingRestart, runs_live
from kpart.simulation.model import MemberSpec, Topic
from kpart.simulation.protocols import Protocol, resolve_strategy
from kpart.simulation.scenario import Scenario

Assignment = dict[str, list[str]]


class LiveError(RuntimeError):
    """The live run could not be carried out (unsupported event, group did not settle, ...)."""


class LiveUnsupported(LiveError, ValueError):
    """A strategy or event of the scenario cannot run live; raised before anything starts."""


def check_live(scenario: Scenario, strategies: list[str]) -> None:
    """Raise :class:`LiveUnsupported` naming the first of ``strategies`` (or of the scenario's
    own member strategies, or events) that a live run cannot carry out; connects to nothing.

    Classic strategies run on kafka-python with the ``strategies`` adapter, which lets the
    consumer pick the protocol (so ``NAME@eager`` is refused); ``kip848-*`` on confluent-kafka.
    """
    for e in scenario.events:
        if not runs_live(type(e)):
            supported = ", ".join(name for name, cls in EVENT_TYPES.items() if runs_live(cls))
            raise LiveUnsupported(f"event {e.label!r} cannot be run live (supported: {supported})")
    names = list(strategies) + sorted({m.strategy for m in _all_members(scenario) if m.strategy}
                                      | {e.strategy for e in scenario.events
                                         if isinstance(e, RollingRestart) and e.strategy})
    for name in names:
        try:
            strategy = resolve_strategy(name)
        except ValueError as exc:
            raise LiveUnsupported(str(exc)) from None
        if "@" in name:
            raise LiveUnsupported(f"strategy {name!r} cannot run live: a live consumer picks its "
                                  f"protocol from the assignor; use {name.partition('@')[0]!r}")
        if strategy.protocol is Protocol.INCREMENTAL:
            try:
                import confluent_kafka  # noqa: F401
            except ImportError:
                raise LiveUnsupported(f"strategy {name!r} runs live on confluent-kafka, which is not "
                                      "installed (pip install confluent-kafka)") from None


def _all_members(scenario: Scenario) -> list[MemberSpec]:
    joined = [m for e in scenario.events if isinstance(e, Join) for m in e.members]
    return [*scenario.members, *joined]


def _consumer_protocol(scenario: Scenario, strategy: str) -> bool:
    """Whether any member of ``scenario`` (run under ``strategy``) speaks the consumer protocol."""
    names = {m.strategy or strategy for m in _all_members(scenario)}
    names |= {e.strategy for e in scenario.events if isinstance(e, RollingRestart) and e.strategy}
    return any(resolve_strategy(n).protocol is Protocol.INCREMENTAL for n in names)


@dataclass(frozen=True)
class LiveStep:
    """Predicted and observed assignment after one point of the timeline."""

    label: str
    predicted: Assignment
    observed: Assignment
    predicted_rounds: int
    observed_rounds: int | None
    """Generations the live group went through; ``None`` where the broker does not report them
    (consumer-protocol groups)."""

    @property
    def verdict(self) -> str:
        """"match", "same up to member names" or "DIFFERS" (the order of a member's partitions
        does not count)."""
        predicted = {m: frozenset(tps) for m, tps in self.predicted.items()}
        observed = {m: frozenset(tps) for m, tps in self.observed.items()}
        if predicted == observed:
            return "match"
        if sorted(map(sorted, predicted.values())) == sorted(map(sorted, observed.values())):
            return "same up to member names"
        return "DIFFERS"


def rename_topics(scenario: Scenario, suffix: str) -> Scenario:
    """``scenario`` with every topic name ``T`` replaced by ``T-suffix``."""

    def n(t: str) -> str:
        return f"{t}-{suffix}"

    def member(m: MemberSpec) -> MemberSpec:
        return dataclasses.replace(m, topics=frozenset(n(t) for t in m.topics))

    producer = scenario.producer
    if producer is not None:
        producer = dataclasses.replace(producer, topic=n(producer.topic))
    return dataclasses.replace(
        scenario,
        topics=tuple(Topic(n(t.name), t.partitions, t.replication) for t in scenario.topics),
        members=tuple(member(m) for m in scenario.members),
        events=tuple(e.renamed(n) for e in scenario.events),
        producer=producer,
    )


def one_by_one(scenario: Scenario) -> Scenario:
    """``scenario`` with only its first member forming the group and the others joining one at
    a time, as live processes do (sticky strategies remember that history)."""
    first, *rest = scenario.members
    joins = tuple(Join(0.0, (m,)) for m in rest)
    return dataclasses.replace(scenario, members=(first,), events=joins + tuple(scenario.events))


class LiveGroup:
    """The worker processes of one live group and the last state each reported."""

    def __init__(self, bootstrap: str, strategy: str, session_ms: int, tmp: Path) -> None:
        self.bootstrap, self.strategy, self.session_ms, self.tmp = bootstrap, strategy, session_ms, tmp
        self.group = f"kpart-live-{uuid.uuid4().hex[:8]}"
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.specs: dict[str, MemberSpec] = {}
        self.state: dict[str, dict[str, Any]] = {}
        self.runs = 0
        self.starts: dict[str, int] = {}
        self.member_ids: dict[tuple[str, int], str] = {}

    def start(self, spec: MemberSpec) -> None:
        self.runs += 1
        self.starts[spec.name] = self.starts.get(spec.name, 0) + 1
        stop = self.tmp / f"stop-{self.runs}"
        self.specs[spec.name] = spec
        proc = subprocess.Popen(
            [sys.executable, "-m", "kpart.simulation.live_worker", self.bootstrap, self.group,
             spec.strategy or self.strategy, spec.name, "1" if spec.static else "0", str(stop),
             str(self.session_ms), *sorted(spec.topics)],
            stdout=subprocess.PIPE, text=True, bufsize=1,
            stderr=None if os.environ.get("KPART_LIVE_DEBUG") else subprocess.DEVNULL)
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        proc.stop_file = stop  # type: ignore[attr-defined]
        self.procs[spec.name] = proc

    def stop(self, name: str, crash: bool = False) -> MemberSpec:
        proc = self.procs.pop(name)
        if crash:
            proc.kill()
        else:
            proc.stop_file.touch()  # type: ignore[attr-defined]
        proc.wait(timeout=60)
        self.state.pop(name, None)
        return self.specs.pop(name)

    def runs_consumer_protocol(self, name: str) -> bool:
        return resolve_strategy(self.specs[name].strategy or self.strategy).protocol is Protocol.INCREMENTAL

    def _drain(self) -> None:
        """Read what every worker reported; raise if one has exited."""
        for name, proc in self.procs.items():
            assert proc.stdout is not None
            while line := proc.stdout.readline():
                self.state[name] = json.loads(line)
            if proc.poll() is not None:
                raise LiveError(f"consumer process {name} exited with status {proc.returncode}")

    def settle_target(self, view: Any, partitions: set[str], timeout: float) -> Assignment:
        """Wait until the broker describes exactly the running members, each reconciled to its
        target, the targets cover ``partitions`` exactly once, and nothing changes for 2 s;
        returns the targets by member name and records each process's member id."""
        deadline = time.monotonic() + timeout
        stable_since: float | None = None
        last = None
        members: list[Any] = []
        while time.monotonic() < deadline:
            self._drain()
            try:
                members = view.members()
            except Exception:  # noqa: BLE001 - the coordinator may not know the group yet
                members = []
            snap = {m.name: (m.member_id, m.target) for m in members}
            owned = [tp for m in members for tp in m.target]
            ok = (set(snap) == set(self.procs) and len(snap) == len(members)
                  and all(m.assignment == m.target for m in members)
                  and len(owned) == len(set(owned)) and set(owned) == partitions)
            if not ok:
                stable_since = None
            elif snap != last or stable_since is None:
                stable_since = time.monotonic()
            elif time.monotonic() - stable_since >= 2.0:
                for name, (member_id, _) in snap.items():
                    self.member_ids[(name, self.starts[name] - 1)] = member_id
                return {n: sorted(tps, key=_partition_order) for n, (_, tps) in sorted(snap.items())}
            last = snap
            time.sleep(0.25)
        described = {m.name: (sorted(m.assignment), sorted(m.target)) for m in members}
        raise LiveError(f"the live group did not settle within {timeout:.0f} s; the broker describes "
                        f"(assignment, target): {described}")

    def settle(self, partitions: set[str], after: int, timeout: float) -> tuple[int, Assignment]:
        """Wait until all members report one generation > ``after``, their assignments cover
        ``partitions`` exactly once, and nothing changes for 2 s."""
        deadline = time.monotonic() + timeout
        stable_since: float | None = None
        last = None
        while time.monotonic() < deadline:
            self._drain()
            snap = {n: (s["generation"], tuple(s["assignment"])) for n, s in self.state.items()}
            gens = {g for g, _ in snap.values()}
            owned = [tp for _, tps in snap.values() for tp in tps]
            ok = (set(snap) == set(self.procs) and len(gens) == 1 and min(gens) > after
                  and len(owned) == len(set(owned)) and set(owned) == partitions)
            if ok and snap == last:
                if stable_since is not None and time.monotonic() - stable_since >= 2.0:
                    return gens.pop(), {n: sorted(tps, key=_partition_order)
                                        for n, (_, tps) in sorted(snap.items())}
            else:
                stable_since = time.monotonic() if ok else None
            last = snap
            time.sleep(0.1)
        raise LiveError(f"the live group did not settle within {timeout:.0f} s; last reports: {self.state}")

    def close(self) -> None:
        for proc in self.procs.values():
            proc.stop_file.touch()  # type: ignore[attr-defined]
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


@dataclass(frozen=True)
class LiveRun:
    """What an event's live effect (:meth:`kpart.simulation.events.Event.live`) acts on."""

    group: LiveGroup
    admin: Any
    downtime_s: float
    """How long a restarting member stays away."""
    settle: Callable[[bool], None]
    """Wait until the group has settled (``True``: after a rebalance)."""

    def create_topic(self, topic: Topic) -> None:
        _create_topic(self.admin, topic)

    def add_partitions(self, topic: str, partitions: int) -> None:
        self.admin.create_partitions({topic: partitions})


def _partition_order(tp: str) -> tuple[str, int]:
    """``"topic-12"`` -> ``("topic", 12)``: the simulator's order (partition 10 after 9, not 1)."""
    topic, _, partition = tp.rpartition("-")
    return topic, int(partition)


def _admin(bootstrap: str) -> Any:
    from kafka import KafkaAdminClient

    from kpart.client_config import settings_for

    return KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000,
                            **settings_for("kafka-python"))


def _check_replication(admin: Any, topics: tuple[Topic, ...], bootstrap: str) -> None:
    """Raise :class:`LiveError` naming the first topic whose replication factor is above the
    number of brokers the cluster at ``bootstrap`` has (before anything is created)."""
    brokers = len(admin.describe_cluster()["brokers"])
    for t in topics:
        if t.replication > brokers:
            name = t.name.rpartition("-")[0]  # without the live run's suffix
            raise LiveError(f"topic {name!r} has replication {t.replication} but the cluster at "
                            f"{bootstrap} has {brokers} broker(s); lower topics[].replication for "
                            "a live run")


def _create_topic(admin: Any, topic: Topic) -> None:
    from kafka.admin import NewTopic

    admin.create_topics([NewTopic(topic.name, topic.partitions, topic.replication)])


def run_live(
    scenario: Scenario, strategy: str, bootstrap: str,
    on_step: Callable[[LiveStep], None] | None = None,
) -> list[LiveStep]:
    """Drive ``scenario`` on the broker at ``bootstrap`` with ``strategy``; one step per event
    (plus the group forming). Raises :class:`LiveUnsupported` (see :func:`check_live`) before
    connecting, :class:`LiveError` if the live group does not settle."""
    check_live(scenario, [strategy])
    consumer_protocol = _consumer_protocol(scenario, strategy)
    scenario = one_by_one(rename_topics(scenario, uuid.uuid4().hex[:8]))
    timing = scenario.timing
    session_ms = max(6000, int(timing.session_timeout_s * 1000))
    timeout = 60.0 + 2 * session_ms / 1000
    steps: list[LiveStep] = []
    admin = _admin(bootstrap)
    with tempfile.TemporaryDirectory(prefix="kpart-live-") as tmp:
        group = LiveGroup(bootstrap, strategy, session_ms, Path(tmp))
        view = None
        if consumer_protocol:
            from kpart.simulation.live_confluent import GroupView

            view = GroupView(bootstrap, group.group)
            view.speed_up_heartbeats(1000)
        try:
            _check_replication(admin, scenario.topics, bootstrap)
            for t in scenario.topics:
                _create_topic(admin, t)
            generation = 0
            for k in range(len(scenario.events) + 1):
                upto = dataclasses.replace(scenario, events=scenario.events[:k])
                predicted = simulate(upto, strategy)
                partitions = {tp for tps in predicted.final_assignment.values() for tp in tps}
                before = generation

                def settle(rebalanced: bool, partitions: set[str] = partitions) -> None:
                    nonlocal generation
                    if view is not None:
                        group.settle_target(view, partitions, timeout)
                    else:
                        generation, _ = group.settle(partitions, generation - (0 if rebalanced else 1),
                                                     timeout)

                if k == 0:
                    label = predicted.events[0].label
                    for spec in scenario.members:
                        group.start(spec)
                else:
                    event = scenario.events[k - 1]
                    label = event.label
                    event.live(LiveRun(group, admin, timing.restart_downtime_s, settle))
                rounds: int | None = None
                if view is not None:
                    observed = group.settle_target(view, partitions, timeout)
                    predicted = Simulation(upto, strategy, member_ids=group.member_ids).run()
                else:
                    rebalanced = predicted.events[-1].rebalances > 0
                    generation, observed = group.settle(partitions, generation - (0 if rebalanced else 1),
                                                        timeout)
                    rounds = generation - before
                step = LiveStep(label, predicted.final_assignment, observed, predicted.events[-1].rounds,
                                rounds)
                steps.append(step)
                if on_step is not None:
                    on_step(step)
        finally:
            group.close()
            admin.close()
    return steps
