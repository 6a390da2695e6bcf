"""aiokafka consumers in separate processes (and several in one process) with each of our
assignors: members join and leave, every partition is owned exactly once, and each settled
assignment is the one the core computes from what the members sent."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from strategies import ClusterMetadata, MemberSubscription, TopicPartition, get_assignor

pytestmark = pytest.mark.integration

WORKER = Path(__file__).resolve().parents[1] / "clients" / "aiokafka_worker.py"
ROOT = Path(__file__).resolve().parents[2]
ASSIGNORS = ["range", "roundrobin", "sticky", "cooperative-sticky", "weighted-sticky"]
PARTITION_COUNTS = (7, 5)


class Worker:
    """One process of aiokafka consumers; collects their reports."""

    def __init__(self, bootstrap: str, topics: list[str], members: list[dict[str, str]],
                 log: list[dict[str, Any]], lock: threading.Lock) -> None:
        config = {"bootstrap": bootstrap, "topics": topics, "members": members}
        self.proc = subprocess.Popen([sys.executable, str(WORKER), json.dumps(config)], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        self.labels = {m["label"] for m in members}
        self.stopped = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(log, lock), daemon=True)
        self._thread.start()

    def _read(self, log: list[dict[str, Any]], lock: threading.Lock) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = json.loads(line)
            if event.get("stopped"):
                self.stopped.set()
            with lock:
                log.append(event)

    def stop(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write("stop\n")
            self.proc.stdin.flush()
            if not self.stopped.wait(30):
                self.proc.kill()
        self.proc.wait(10)

    def error_output(self) -> str:
        if self.proc.poll() is None:
            return ""
        assert self.proc.stderr is not None
        return self.proc.stderr.read()[-3000:]


class Groups:
    """Every report so far, per group; the settled state and the core's prediction of it."""

    def __init__(self, topics: dict[str, int]) -> None:
        self.topics = topics
        self.log: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def history(self) -> dict[str, list[dict[str, Any]]]:
        """label -> its assignment reports in order, each with the leader's view if it led."""
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        pending: dict[str, dict[str, int]] = {}
        with self.lock:
            events = list(self.log)
        for e in events:
            if "leader_saw" in e:
                pending[e["label"]] = e["leader_saw"]
            elif "assigned" in e:
                out[e["label"]].append({**e, "leader_saw": pending.pop(e["label"], None)})
        return out

    def settled(self, assignor: str, labels: set[str]) -> list[dict[str, Any]] | None:
        """The latest reports of ``labels`` if they form one complete generation."""
        hist = self.history()
        latest = [hist[label][-1] for label in labels if hist.get(label)]
        if len(latest) != len(labels) or len({r["generation"] for r in latest}) != 1:
            return None
        owned = [tuple(tp) for r in latest for tp in r["assigned"]]
        if len(owned) != sum(self.topics.values()):
            return None
        return latest


def wait_settled(groups: Groups, assignor: str, labels: set[str], workers: list[Worker],
                 timeout_s: float = 60.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    stable_since, last = None, None
    while time.monotonic() < deadline:
        for w in workers:
            assert w.proc.poll() is None, f"worker died:\n{w.error_output()}"
        now = groups.settled(assignor, labels)
        key = json.dumps(now, sort_keys=True) if now else None
        if now and key == last:
            if stable_since and time.monotonic() - stable_since > 1.0:
                return now
        else:
            stable_since, last = time.monotonic(), key
        time.sleep(0.1)
    raise AssertionError(f"{assignor}: {sorted(labels)} did not settle; latest: "
                         f"{ {lbl: groups.history().get(lbl, [{}])[-1] for lbl in labels} }")


def check_generation(groups: Groups, assignor: str, settled: list[dict[str, Any]]) -> None:
    """Exactly-once ownership, the leader's view of generations, and the core's prediction."""
    owners: dict[tuple[str, int], str] = {}
    for r in settled:
        for tp in r["assigned"]:
            assert tuple(tp) not in owners, f"{assignor}: {tp} owned twice"
            owners[tuple(tp)] = r["member_id"]
    topics = groups.topics
    assert set(owners) == {(t, p) for t, n in topics.items() for p in range(n)}
    generation = settled[0]["generation"]
    hist = groups.history()
    labels = {r["label"] for r in settled}
    by_generation: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for label in labels:
        for h in hist[label]:
            by_generation[h["generation"]] += [tuple(tp) for tp in h["assigned"]]
    for g, tps in by_generation.items():  # EAGER: within a generation, no partition has two owners
        assert len(tps) == len(set(tps)), f"{assignor}: a partition owned twice in generation {g}"
    core = get_assignor(assignor)
    subs: dict[str, MemberSubscription] = {}
    leader_saw = None
    for r in settled:
        before = [h for h in hist[r["label"]] if h["generation"] < generation]
        prev_owned = tuple(TopicPartition(t, p) for t, p in before[-1]["assigned"]) if before else ()
        prev_gen = before[-1]["generation"] if before else -1
        subs[r["member_id"]] = MemberSubscription(
            r["member_id"], set(topics), generation=prev_gen,
            user_data=core.encode_user_data(prev_owned, prev_gen))
        leader_saw = leader_saw or r["leader_saw"]
    assert leader_saw is not None, f"{assignor}: no leader report for generation {generation}"
    # every member sent its real generation (aiokafka's own sticky assignor sends -1)
    assert leader_saw == {m: s.generation for m, s in subs.items()}, (assignor, leader_saw)
    predicted = core.assign(subs, ClusterMetadata(topics)).owned
    actual = {r["member_id"]: tuple(TopicPartition(t, p) for t, p in r["assigned"]) for r in settled}
    assert actual == dict(predicted), f"{assignor}: live assignment differs from the core's"


def test_aiokafka_groups_join_leave_and_match_the_core(kafka_bootstrap: str, make_topic) -> None:
    groups = Groups({make_topic(n): n for n in PARTITION_COUNTS})
    topics = list(groups.topics)
    run = uuid.uuid4().hex[:6]

    def members(tag: str, per_group: int) -> list[dict[str, str]]:
        return [{"label": f"{a}:{tag}{i}", "group": f"aio-{a}-{run}", "assignor": a}
                for a in ASSIGNORS for i in range(per_group)]

    def start(tag: str, per_group: int) -> Worker:
        worker = Worker(kafka_bootstrap, topics, members(tag, per_group), groups.log, groups.lock)
        workers.append(worker)
        return worker

    workers: list[Worker] = []
    try:
        p1 = start("p1-", 1)
        start("p2-", 1)
        steps = [
            ("two processes", lambda: None, {"p1-0", "p2-0"}),
            ("a third process with two members of each group", lambda: start("p3-", 2),
             {"p1-0", "p2-0", "p3-0", "p3-1"}),
            ("the first process leaves", p1.stop, {"p2-0", "p3-0", "p3-1"}),
        ]
        previous: dict[str, dict[str, list[list[Any]]]] = {}
        for step, action, tags in steps:
            action()
            running = [w for w in workers if not w.stopped.is_set()]
            for assignor in ASSIGNORS:
                settled = wait_settled(groups, assignor, {f"{assignor}:{t}" for t in tags}, running)
                check_generation(groups, assignor, settled)
                now = {r["label"]: r["assigned"] for r in settled}
                if assignor == "sticky" and assignor in previous:
                    # 12 partitions: joiners take only the surplus, a leaver's go to the others
                    for label, owned in previous[assignor].items():
                        if label in now:
                            kept = {tuple(tp) for tp in owned} & {tuple(tp) for tp in now[label]}
                            assert len(kept) >= min(len(owned), len(now[label])), (step, label)
                previous[assignor] = now
    finally:
        for w in workers:
            w.stop()
