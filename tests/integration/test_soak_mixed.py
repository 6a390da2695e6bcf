"""CI-sized mixed soak: groups of a kafka-python, a librdkafka and a Java member under one
protocol name (range and cooperative-sticky), through a broker kill and a consumer kill that
hits a librdkafka or Java member; nothing acknowledged is lost and no partition is owned by two
members at the same time. And a librdkafka member fenced by another process with its
group.instance.id (a fatal error in librdkafka) gives up its partitions and rejoins."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kpart.broker import BrokerError
from kpart.reference import JavaReferenceError
from kpart.soak.cluster import SoakCluster
from kpart.soak.confluent_worker import consumer_config
from kpart.soak.members import python_command
from kpart.soak.runner import SoakConfig, SoakRun
from kpart.soak.worklog import read_events
from tests.conftest import unavailable
from tests.integration.test_soak import _alive, three_nodes  # noqa: F401 - the cluster fixture

pytestmark = pytest.mark.integration

MIX = ("kafka-python", "librdkafka", "java")
SEED = 5
"""With 3 members in the order of MIX, seed 5 makes the consumer kill pick member m1 or m2 in
both groups whichever member the soak saw lead (librdkafka never says it leads)."""


def test_mixed_clients_survive_broker_and_consumer_kills_without_loss_or_overlap(
    three_nodes: SoakCluster, tmp_path: Path  # noqa: F811 - the imported fixture
) -> None:
    cfg = SoakConfig(strategies=("range", "cooperative-sticky"), members=3, duration_s=66.0, seed=SEED,
                     rate=100.0, faults=("broker_kill", "consumer_kill"), directory=tmp_path,
                     topic="soak-mixed", mix=MIX)
    lines: list[str] = []
    started = time.monotonic()
    try:
        soak = SoakRun(cfg, say=lines.append, cluster=three_nodes)
    except (JavaReferenceError, BrokerError) as exc:
        unavailable("the Java soak member could not be built", str(exc))
    with soak:
        report = soak.run()
        clients = {(g.label, s.name): s.client for g in soak.groups for s in g.slots}
        incarnations = [(g.label, s.client, inc)
                        for g in soak.groups for s in g.slots for inc in s.incarnations]
    finished = time.monotonic()
    assert not [pid for pid in soak.spawned if _alive(pid)], "client processes left behind"
    assert sorted(f["kind"] for f in report.faults) == ["broker_kill", "consumer_kill"], lines
    kill = next(f for f in report.faults if f["kind"] == "consumer_kill")
    for g in report.groups:
        assert sorted(g.clients.values()) == sorted(MIX), g.clients
        (victim,) = kill["by_group"][g.strategy]
        assert clients[(g.strategy, victim)] in ("librdkafka", "java"), (g.strategy, victim, lines)
        summary = f"{g.strategy}: {g.failures} (log: {lines})"
        assert g.lost == 0 and g.consumed == g.produced == report.producer["acknowledged"] > 500, summary
        assert g.overlaps == 0, summary
        assert not g.failures, summary
    for group, client, inc in incarnations:  # every client logs on this process's monotonic clock
        assert inc.events and started <= inc.events[0]["t"] <= finished, (group, client, inc.events[:1])
    for group in ("range", "cooperative-sticky"):
        gens = {client: {e["gen"] for label, c, inc in incarnations if (label, c) == (group, client)
                         for e in inc.events if e["ev"] == "own" and e["op"] == "add"} for client in MIX}
        assert all(gens[c] and min(gens[c]) >= 1 for c in MIX), (group, gens)
        if group == "range":  # eager: every member is handed partitions in every generation it is in
            shared = gens["librdkafka"] & gens["kafka-python"] and gens["java"] & gens["kafka-python"]
            assert shared, (group, gens)


def test_a_fenced_librdkafka_member_logs_fatal_gives_up_its_partitions_and_rejoins(
    kafka_bootstrap: str, make_topic: Callable[..., str], tmp_path: Path
) -> None:
    from confluent_kafka import Consumer

    topic = make_topic(3)
    group = f"{topic}-group"
    cfg = {"bootstrap": kafka_bootstrap, "group": group, "name": "fenced", "instance_id": "fenced-0",
           "strategy": "range", "rack": None, "topic": topic, "log": str(tmp_path / "m.jsonl"),
           "stop": str(tmp_path / "stop")}
    log = tmp_path / "m.jsonl"
    proc = subprocess.Popen([*python_command("librdkafka"), json.dumps(cfg)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    intruder = None
    try:
        def owns() -> bool:
            held: set[int] = set()
            for e in read_events(log):
                if e["ev"] == "own":
                    parts = set(e["parts"])
                    held = held | parts if e["op"] == "add" else held - parts
            return held == {0, 1, 2}

        _until(owns, 60, "the member to own every partition")
        # another process with the same group.instance.id takes the member's place: the broker
        # fences the member, which librdkafka reports as a fatal error
        intruder = Consumer(consumer_config({**cfg, "name": "intruder"}))
        intruder.subscribe([topic])
        _until(lambda: bool(intruder.poll(0.2) or intruder.assignment()), 60, "the intruder's assignment")
        intruder.close()
        intruder = None
        _until(lambda: any(e["ev"] == "restart" for e in read_events(log)), 60, "the fenced member's restart")
        events = read_events(log)
        kinds = [e["ev"] for e in events]
        assert "fatal" in kinds and kinds.index("fatal") < kinds.index("restart"), events
        before = events[:kinds.index("restart")]
        assert any(e["ev"] == "own" and e["op"] == "lost" for e in before), before
        _until(owns, 60, "the renewed member to own every partition again")
    finally:
        if intruder is not None:
            intruder.close()
        Path(cfg["stop"]).touch()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _until(ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)
