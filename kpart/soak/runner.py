"""Run a soak: cluster, producer, one consumer group per strategy, faults, checks, report.

All groups consume the same topic at once, so every fault hits every strategy at the same
moment and each group must see every acknowledged record. Every process the soak starts is
killed when it ends, however it ends (the JVMs and clients also die with this process).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpart.client_config import from_environment, settings_for
from kpart.simulation.engine import simulate
from kpart.simulation.model import MemberSpec, Timing
from kpart.simulation.protocols import Protocol, resolve_strategy
from kpart.soak import checks, members
from kpart.soak.clients import (
    HEARTBEAT_INTERVAL_MS,
    MAX_POLL_INTERVAL_MS,
    METADATA_MAX_AGE_MS,
    SESSION_TIMEOUT_MS,
)
from kpart.soak.cluster import SoakCluster, coordinator_partition, leaders, rack_of
from kpart.soak.relay import StallableRelay
from kpart.soak.schedule import FAULTS, NOT_MODELLED, ExecutedFault, build_schedule, scenario_of
from kpart.soak.worklog import LogTail, die_with_parent, read_events

STRATEGIES = ("range", "roundrobin", "sticky", "cooperative-sticky", "sticky+racks", "weighted-sticky")
"""Group labels: an assignor name, ``+racks`` for members with a rack (KIP-881)."""


@dataclass(frozen=True)
class SoakConfig:
    """What to run. ``duration_s`` is the span of the fault schedule (after the groups first
    settle); the drain and the checks follow it."""

    strategies: tuple[str, ...] = STRATEGIES
    members: int = 4
    duration_s: float = 300.0
    faults: tuple[str, ...] = FAULTS
    seed: int = 1
    partitions: int = 12
    expand_to: int = 16
    rate: float = 150.0
    keys: int = 40
    freeze_s: float = 14.0  # > session.timeout.ms and max.poll.interval.ms (10 s)
    bounce_s: float = 3.0  # < session.timeout.ms
    stall_s: float = 8.0
    broker_down_s: float = 8.0
    restart_gap_s: float = 2.0
    directory: Path | None = None
    topic: str = "soak"  # also the prefix of the group ids
    mix: tuple[str, ...] = ("kafka-python",)  # member i runs mix[i % len(mix)] (kpart.soak.members)


@dataclass
class _Slot:
    name: str
    static: bool
    rack: str | None
    client: str = "kafka-python"
    proc: subprocess.Popen[bytes] | None = None
    incarnations: list[checks.Incarnation] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    tails: list[LogTail] = field(default_factory=list)


@dataclass
class _Group:
    label: str
    assignor: str
    racks: bool
    group_id: str
    slots: list[_Slot] = field(default_factory=list)

    def live(self) -> list[_Slot]:
        return [s for s in self.slots if s.proc is not None]


@dataclass
class GroupReport:
    """One strategy's figures, the checks' verdict and the simulator's prediction."""

    strategy: str
    protocol: str
    produced: int
    consumed: int
    lost: int
    duplicated: int
    duplicate_causes: dict[str, int]
    rebalances: int  # faults after which the group saw at least one new generation
    rounds: int
    rounds_per_fault: list[int]
    overlaps: int
    overlap_s: float
    overlap_max_s: float
    overlap_after: dict[str, int]  # overlaps by the fault that preceded them
    double_processed: int  # overlaps in which both members processed records
    unowned_reads: int  # records a member processed outside its ownership intervals
    unowned_ps: float
    max_unowned_s: float
    pause_mean_s: float
    pause_max_s: float
    needless_revocations: int
    failures: list[str]
    predicted: dict[str, Any]
    clients: dict[str, str] = field(default_factory=dict)  # member -> the client it ran


@dataclass
class SoakReport:
    config: dict[str, Any]
    seconds: float
    faults: list[dict[str, Any]]
    producer: dict[str, int]
    groups: list[GroupReport]

    @property
    def ok(self) -> bool:
        return all(not g.failures for g in self.groups)


class SoakRun:
    """One soak; use as a context manager so every process is gone when it exits."""

    def __init__(self, config: SoakConfig, say: Callable[[str], None] = print,
                 cluster: SoakCluster | None = None) -> None:
        """``cluster``: an already started :class:`SoakCluster` to use (and leave running);
        by default the soak starts its own on free ports and stops it at the end."""
        self.cfg = config
        self.say = say
        self.rng = random.Random(config.seed)
        members.parse_mix(",".join(config.mix))  # unknown clients fail before anything starts
        self.groups = [self._group(label) for label in config.strategies]  # validated first
        self.java: list[str] = []
        if "java" in config.mix and any(members.has_assignor("java", g.assignor) for g in self.groups):
            self.java = members.java_command()  # built (or refused) before anything starts
        self._tmp = None if config.directory else tempfile.TemporaryDirectory(prefix="kpart-soak-")
        self.dir = Path(config.directory or self._tmp.name)  # type: ignore[union-attr]
        self.dir.mkdir(parents=True, exist_ok=True)
        self.own_cluster = cluster is None
        security = from_environment()  # `kpart soak --client-config`: every client over SASL
        sasl_users = None
        if security is not None and security.password is not None:
            sasl_users = {str(security.username): security.password.reveal()}
        self.cluster = cluster or SoakCluster.on_free_ports(self.dir / "cluster", 3, tied_to_parent=True,
                                                            sasl_users=sasl_users)
        self.bootstrap = self.cluster.sasl_bootstrap or self.cluster.bootstrap
        self.spawned: list[int] = []
        self.relay = StallableRelay()
        self.admin: Any = None
        self.producer: subprocess.Popen[bytes] | None = None
        self.timers: list[tuple[float, Callable[[], None]]] = []
        self.executed: list[ExecutedFault] = []
        self.partitions_at: list[tuple[float, int]] = []
        self.t0 = 0.0

    def _group(self, label: str) -> _Group:
        assignor, _, extra = label.partition("+")
        if extra not in ("", "racks"):
            raise ValueError(f"unknown strategy {label!r}: an assignor name, optionally with '+racks'")
        resolve_strategy(assignor)  # unknown names fail before anything starts
        g = _Group(label, assignor, extra == "racks", f"{self.cfg.topic}-{label}")
        for _ in range(self.cfg.members):
            self._new_slot(g, static=True)
        return g

    def _new_slot(self, g: _Group, static: bool) -> _Slot:
        n = len(g.slots)
        slot = _Slot(f"m{n}", static, rack_of(n % 3 + 1) if g.racks else None,
                     members.client_for(self.cfg.mix, n, g.assignor))
        g.slots.append(slot)
        return slot

    # ---- processes -------------------------------------------------------------------------
    def __enter__(self) -> SoakRun:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Kill every client process, stop the relay and the cluster."""
        procs = [s.proc for g in self.groups for s in g.slots if s.proc is not None]
        if self.producer is not None:
            procs.append(self.producer)
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGCONT)
                p.kill()
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=10)
        for g in self.groups:
            for s in g.slots:
                s.proc = None
        self.producer = None
        if self.admin is not None:
            with contextlib.suppress(Exception):
                self.admin.close()
            self.admin = None
        self.relay.close()
        if self.own_cluster:
            self.cluster.stop(timeout=10)
        else:
            for node in self.cluster.dead_nodes():
                self.cluster.restart(node.node_id)
        if self._tmp is not None:
            self._tmp.cleanup()

    def _spawn(self, command: list[str], cfg: dict[str, Any]) -> subprocess.Popen[bytes]:
        err = open(Path(cfg["log"]).with_suffix(".err"), "ab")  # noqa: SIM115 - handed to the child
        try:
            proc = subprocess.Popen([*command, json.dumps(cfg)], stdout=err, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
            self.spawned.append(proc.pid)
            return proc
        finally:
            err.close()

    def _start_member(self, g: _Group, slot: _Slot) -> None:
        log = self.dir / f"{g.label}-{slot.name}-{len(slot.logs)}.jsonl"
        slot.logs.append(log)
        slot.tails.append(LogTail(log))
        slot.incarnations.append(checks.Incarnation(slot.name, slot.tails[-1].events))
        command = self.java if slot.client == "java" else members.python_command(slot.client)
        slot.proc = self._spawn(command, {
            "bootstrap": self.bootstrap, "proxy_url": self.relay.url, "group": g.group_id,
            "name": f"{g.label}-{slot.name}",
            "instance_id": f"{g.group_id}-{slot.name}" if slot.static else None,
            "strategy": g.assignor, "rack": slot.rack, "topic": self.cfg.topic, "log": str(log),
            "stop": str(self.dir / "stop-consumers"),
            "session_timeout_ms": SESSION_TIMEOUT_MS, "heartbeat_interval_ms": HEARTBEAT_INTERVAL_MS,
            "max_poll_interval_ms": MAX_POLL_INTERVAL_MS, "metadata_max_age_ms": METADATA_MAX_AGE_MS,
        })

    def _kill_member(self, slot: _Slot) -> None:
        assert slot.proc is not None
        slot.proc.kill()
        slot.incarnations[-1].killed_at = time.monotonic()
        slot.proc.wait(timeout=10)
        slot.proc = None

    # ---- set-up ----------------------------------------------------------------------------
    def start(self) -> None:
        from kafka.admin import NewTopic

        if self.own_cluster:
            self.say(f"starting a 3-node cluster in {self.dir}")
            self.cluster.start(timeout=180)
        self._admin(lambda a: a.create_topics([NewTopic(self.cfg.topic, self.cfg.partitions, 3,
                                                        topic_configs={"min.insync.replicas": "2"})]))
        self._wait(lambda: all(v >= 0 for v in self._leaders().values()), 60, "topic leaders")
        self.partitions_at = [(0.0, self.cfg.partitions)]
        self.producer = self._spawn([sys.executable, "-m", "kpart.soak.producer_worker"], {
            "bootstrap": self.bootstrap, "proxy_url": self.relay.url, "topic": self.cfg.topic,
            "keys": self.cfg.keys, "rate": self.cfg.rate, "partitioner": "murmur2", "seed": self.cfg.seed,
            "log": str(self.dir / "producer.jsonl"), "stop": str(self.dir / "stop-producer"),
        })
        for g in self.groups:
            for slot in g.slots:
                self._start_member(g, slot)
            if self.cfg.mix != ("kafka-python",):
                lacking = members.substitutions(self.cfg.mix, g.assignor)
                self.say(f"  {g.label}: " + ", ".join(f"{s.name} {s.client}" for s in g.slots)
                         + (f" ({' and '.join(lacking)} lack {g.assignor}: kafka-python instead)"
                            if lacking else ""))
        self.say(f"{len(self.groups)} groups of {self.cfg.members} members on {self.cfg.partitions} "
                 "partitions (replication 3, min.insync.replicas 2); waiting until every member has "
                 "joined and each group owns every partition")
        self._wait(self._all_settled, 300, "the groups to form")  # JVM members start slowly when loaded
        self.t0 = time.monotonic()
        self.partitions_at = [(self.t0 - 1e6, self.cfg.partitions)]

    def _admin(self, call: Callable[[Any], Any], timeout: float = 60.0) -> Any:
        """``call(admin)``, retried with a fresh admin client while brokers restart."""
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.admin is None:
                    self.admin = KafkaAdminClient(bootstrap_servers=self.bootstrap.split(","),
                                                  reconnect_backoff_max_ms=1000, request_timeout_ms=10_000,
                                                  **settings_for("kafka-python"))
                return call(self.admin)
            except KafkaError:
                with contextlib.suppress(Exception):
                    self.admin.close()
                self.admin = None
                if time.monotonic() > deadline:
                    raise
                self._run_timers()
                time.sleep(1.0)

    def _wait(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
            self._run_timers()
            time.sleep(0.5)

    def _refresh(self, g: _Group, final: bool = False) -> None:
        """Read what the logs of live processes (of every process when ``final``) gained."""
        for slot in g.slots:
            for i, (inc, tail) in enumerate(zip(slot.incarnations, slot.tails, strict=True)):
                if final or (slot.proc is not None and i == len(slot.incarnations) - 1):
                    inc.events = tail.read()

    def _owned_now(self, g: _Group) -> set[int]:
        self._refresh(g)
        owned: set[int] = set()
        for slot in g.live():
            held: set[int] = set()
            for e in slot.incarnations[-1].events:
                if e["ev"] == "own":
                    held = held | set(e["parts"]) if e["op"] == "add" else held - set(e["parts"])
            owned |= held
        return owned

    def _all_settled(self) -> bool:
        """Every partition owned in every group, and every member (a JVM starts slowly) has
        had an assignment."""
        count = self.partitions_at[-1][1]
        return all(self._owned_now(g) >= set(range(count))
                   and all(any(e["ev"] == "own" and e["op"] == "add" for e in s.incarnations[-1].events)
                           for s in g.live())
                   for g in self.groups)

    # ---- faults ----------------------------------------------------------------------------
    def _later(self, delay: float, action: Callable[[], None]) -> None:
        self.timers.append((time.monotonic() + delay, action))

    def _run_timers(self) -> None:
        now = time.monotonic()
        due = [t for t in self.timers if t[0] <= now]
        self.timers = [t for t in self.timers if t[0] > now]
        for _, action in sorted(due, key=lambda t: t[0]):
            action()

    def _leader_slot(self, g: _Group) -> _Slot | None:
        best: tuple[float, _Slot] | None = None
        for slot in g.live():
            for e in slot.incarnations[-1].events:
                if e["ev"] == "led" and (best is None or e["t"] > best[0]):
                    best = (e["t"], slot)
        return best[1] if best else None

    def _leaders(self) -> dict[int, int]:
        return dict(self._admin(lambda a: leaders(a, self.cfg.topic)))

    def _most_leaders(self) -> int:
        counts: dict[int, int] = {}
        for leader in self._leaders().values():
            if leader >= 0:
                counts[leader] = counts.get(leader, 0) + 1
        return max(sorted(counts), key=lambda n: counts[n])

    def apply(self, kind: str) -> ExecutedFault:
        at = time.monotonic() - self.t0
        f = ExecutedFault(at, kind)
        if kind in ("consumer_kill", "consumer_freeze", "static_bounce"):
            victims = []
            for g in self.groups:
                self._refresh(g)
                leader = self._leader_slot(g)
                live = g.live()
                if kind == "static_bounce":
                    statics = [s for s in live if s.static]
                    slot = leader if leader is not None and leader.static else statics[0]
                else:
                    others = [s for s in live if s is not leader] or live
                    slot = others[self.rng.randrange(len(others))]
                victims.append((g, slot))
                f.members.append(slot.name)
                f.by_group[g.label] = [slot.name]
                if slot is leader:
                    f.detail = "leader"
            for g, slot in victims:
                self._hit(kind, g, slot)
            f.members = sorted(set(f.members))
        elif kind == "consumer_join":
            for g in self.groups:
                slot = self._new_slot(g, static=False)
                self._start_member(g, slot)
            f.members = [slot.name]
        elif kind == "rolling_restart":
            f.by_group = {g.label: [s.name for s in g.live()] for g in self.groups}
            f.members = sorted({m for names in f.by_group.values() for m in names})
            self._rolling_restart()
        elif kind in ("broker_kill", "coordinator_kill"):
            if kind == "broker_kill":
                node = self._most_leaders()
            else:
                offsets = self._admin(lambda a: leaders(a, "__consumer_offsets"))
                node = offsets[coordinator_partition(self.groups[0].group_id)]
                f.detail = f"coordinator of {self.groups[0].group_id}"
            f.broker = node
            self.cluster.kill(node)
            self._later(self.cfg.broker_down_s, lambda: self.cluster.restart(node))
        elif kind == "partition_expansion":
            from kafka.admin import NewPartitions

            self._admin(lambda a: a.create_partitions({self.cfg.topic: NewPartitions(self.cfg.expand_to)}))
            self.partitions_at.append((time.monotonic(), self.cfg.expand_to))
            f.detail = str(self.cfg.expand_to)
        elif kind == "network_stall":
            node = self._most_leaders()
            target = self.cluster.node(node)
            port = target.sasl_port or target.port  # the listener the clients use
            f.broker = node
            self.relay.freeze(port)
            self._later(self.cfg.stall_s, lambda: self.relay.thaw(port))
        self.executed.append(f)
        who = f" {', '.join(f.members)}" if f.members else ""
        where = f" broker {f.broker}" if f.broker is not None else ""
        self.say(f"  t={at:6.1f}s  {kind}{who}{where}{' (' + f.detail + ')' if f.detail else ''}")
        return f

    def _hit(self, kind: str, g: _Group, slot: _Slot) -> None:
        if kind == "consumer_kill":
            self._kill_member(slot)
        elif kind == "static_bounce":
            self._kill_member(slot)
            self._later(self.cfg.bounce_s, lambda: self._start_member(g, slot))
        else:
            proc = slot.proc
            assert proc is not None
            os.kill(proc.pid, signal.SIGSTOP)
            stopped = time.monotonic()
            inc = slot.incarnations[-1]

            def thaw() -> None:
                os.kill(proc.pid, signal.SIGCONT)
                inc.suspended.append((stopped, time.monotonic()))

            self._later(self.cfg.freeze_s, thaw)

    def _rolling_restart(self) -> None:
        width = max(len(g.live()) for g in self.groups)
        for i in range(width):
            stopping = [(g, g.live()[i]) for g in self.groups if i < len(g.live())]
            for _, slot in stopping:
                assert slot.proc is not None
                slot.proc.terminate()
            for g, slot in stopping:
                assert slot.proc is not None
                try:
                    slot.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self._kill_member(slot)
                self._start_member(g, slot)
            deadline = time.monotonic() + self.cfg.restart_gap_s
            while time.monotonic() < deadline:
                self._run_timers()
                time.sleep(0.2)

    # ---- the run ---------------------------------------------------------------------------
    def run(self) -> SoakReport:
        started = time.monotonic()
        self.start()
        schedule = build_schedule(self.cfg.faults, self.cfg.duration_s, self.cfg.seed)
        self.say(f"fault schedule (seed {self.cfg.seed}): "
                 + ", ".join(f"{f.kind}@{f.at:g}s" for f in schedule))
        for fault in schedule:
            while time.monotonic() - self.t0 < fault.at:
                self._run_timers()
                time.sleep(0.2)
            self.apply(fault.kind)
        while time.monotonic() - self.t0 < self.cfg.duration_s or self.timers:
            self._run_timers()
            time.sleep(0.2)
        end = time.monotonic()
        self.say("schedule done; stopping the producer and draining")
        (self.dir / "stop-producer").touch()
        assert self.producer is not None
        try:
            self.producer.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.say("  the producer did not finish within 90 s (see its log); killed")
            self.producer.kill()
        self.producer = None
        acked = self._acked()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(self._drained(g, acked) for g in self.groups):
            time.sleep(1.0)
        (self.dir / "stop-consumers").touch()
        for g in self.groups:
            for slot in g.live():
                assert slot.proc is not None
                try:
                    slot.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self._kill_member(slot)
                slot.proc = None
        return self._report(acked, end, time.monotonic() - started)

    def _acked(self) -> dict[str, tuple[int, int]]:
        return {v: (p, off) for e in read_events(self.dir / "producer.jsonl") if e["ev"] == "ack"
                for p, off, v in e["recs"]}

    def _drained(self, g: _Group, acked: dict[str, tuple[int, int]]) -> bool:
        self._refresh(g, final=True)
        seen = {v for s in g.slots for inc in s.incarnations for _, _, _, v in checks.reads_of(inc)}
        return acked.keys() <= seen

    def _report(self, acked: dict[str, tuple[int, int]], end: float, seconds: float) -> SoakReport:
        events = read_events(self.dir / "producer.jsonl")
        producer = {
            "acknowledged": len(acked),
            "failed": sum(1 for e in events if e["ev"] == "fail"),
            "blocked": sum(1 for e in events if e["ev"] == "blocked"),
            "sent": next((e.get("sent", 0) for e in events if e["ev"] == "closed"), -1),
        }
        faults = [(self.t0 + f.at, f.kind) for f in self.executed]
        record = {"t0": self.t0, "end": end, "partitions_at": self.partitions_at,
                  "faults": [vars(f) for f in self.executed],
                  "processes": [{"log": str(log), "killed_at": inc.killed_at, "suspended": inc.suspended}
                                for g in self.groups for s in g.slots
                                for inc, log in zip(s.incarnations, s.logs, strict=True)]}
        (self.dir / "controller.json").write_text(json.dumps(record))  # to re-check the logs later
        reports = []
        for g in self.groups:
            self._refresh(g, final=True)
            incs = [inc for s in g.slots for inc in s.incarnations if inc.events]
            res = checks.check_group(acked, incs, faults, self.partitions_at, (self.t0, end))
            strategy = resolve_strategy(g.assignor)
            cooperative = strategy.protocol is Protocol.COOPERATIVE
            reports.append(GroupReport(
                strategy=g.label, protocol=strategy.protocol.value, produced=res.produced,
                consumed=res.consumed, lost=len(res.lost), duplicated=res.duplicates,
                duplicate_causes=res.duplicate_causes,
                rebalances=sum(1 for n in res.rounds_per_fault if n), rounds=res.rounds,
                rounds_per_fault=res.rounds_per_fault, overlaps=len(res.overlaps),
                overlap_s=round(res.overlap_s, 3),
                overlap_max_s=round(max((o.end - o.start for o in res.overlaps), default=0.0), 3),
                overlap_after={f: res.overlap_faults.count(f) for f in sorted(set(res.overlap_faults))},
                double_processed=sum(o.double_processed for o in res.overlaps),
                unowned_reads=len(res.unowned_reads),
                unowned_ps=round(res.unowned_ps, 1),
                max_unowned_s=round(res.max_unowned_s, 2),
                pause_mean_s=round(sum(res.pauses) / len(res.pauses), 2) if res.pauses else 0.0,
                pause_max_s=round(max(res.pauses, default=0.0), 2),
                needless_revocations=res.needless_revocations,
                failures=res.failures(cooperative), predicted=self._predict(g),
                clients={s.name: s.client for s in g.slots},
            ))
        return SoakReport(
            config={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.cfg).items()},
            seconds=round(seconds, 1),
            faults=[vars(f) for f in self.executed],
            producer=producer,
            groups=reports,
        )

    def _predict(self, g: _Group) -> dict[str, Any]:
        members = [MemberSpec(s.name, frozenset({"soak"}), s.rack, s.static)
                   for s in g.slots[:self.cfg.members]]
        timing = Timing(rebalance_round_s=1.5, session_timeout_s=10.0, restart_downtime_s=2.0,
                        heartbeat_interval_s=1.0, metadata_refresh_s=6.0)
        scenario = scenario_of(self.executed, g.label, members, self.cfg.partitions, timing,
                               self.cfg.freeze_s, self.cfg.bounce_s, self.cfg.restart_gap_s)
        result = simulate(scenario, g.assignor)
        t = result.totals
        return {"rebalances": t.rebalances, "rounds": t.rounds, "moved": t.moved, "revoked": t.revoked,
                "unowned_ps": round(t.unowned_ps, 1),
                "not_modelled": sorted({f.kind for f in self.executed if f.kind in NOT_MODELLED})}

