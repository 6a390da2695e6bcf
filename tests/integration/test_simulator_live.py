"""User story: what the simulator predicts is what a live kafka-python group does.

For each classic strategy, a small scenario runs twice: in the simulator, and as real
kafka-python consumers (separate processes, using the ``strategies`` kafka-python adapter) on
the real broker. Members ``c0``..``c2`` are static (``group_instance_id``), so member order is
the same in both; one dynamic member ``d`` joins and leaves cleanly. After every step the live
group's settled assignment must equal the simulator's prediction, and under the cooperative
protocol the number of rebalance rounds (generations) must match too.

This module is also the consumer process: ``python test_simulator_live.py worker ...``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS = [
    {"type": "join", "name": "c1", "static": True},
    {"type": "join", "name": "c2", "static": True},
    {"type": "join", "name": "d"},
    {"type": "leave", "member": "d"},
]


def worker(
    bootstrap: str, group: str, strategy: str, name: str, static: bool, stop: str, *topics: str
) -> None:
    """Consume until the file ``stop`` exists; print (generation, assignment) on every change."""
    from kafka import KafkaConsumer

    from strategies.kafka_python import KafkaPythonAssignor

    consumer = KafkaConsumer(
        *topics, bootstrap_servers=bootstrap, group_id=group,
        group_instance_id=name if static else None,
        partition_assignment_strategy=[KafkaPythonAssignor(strategy)],
        session_timeout_ms=10_000, heartbeat_interval_ms=300, enable_auto_commit=False,
    )
    last = None
    try:
        while not os.path.exists(stop):
            consumer.poll(timeout_ms=100)
            generation = consumer._coordinator._generation.generation_id
            state = (generation, sorted(f"{tp.topic}-{tp.partition}" for tp in consumer.assignment()))
            if state != last:
                print(json.dumps({"name": name, "generation": state[0], "assignment": state[1]}), flush=True)
                last = state
    finally:
        consumer.close()


class LiveGroup:
    """Worker processes and the last state each reported."""

    def __init__(self, bootstrap: str, strategy: str, topics: list[str], tmp: Path) -> None:
        self.bootstrap, self.strategy, self.topics, self.tmp = bootstrap, strategy, topics, tmp
        self.group = f"sim-live-{uuid.uuid4().hex[:8]}"
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.state: dict[str, dict[str, Any]] = {}

    def start(self, name: str, static: bool) -> None:
        stop = self.tmp / f"stop-{name}"
        self.procs[name] = subprocess.Popen(
            [sys.executable, __file__, "worker", self.bootstrap, self.group, self.strategy, name,
             "1" if static else "0", str(stop), *self.topics],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        os.set_blocking(self.procs[name].stdout.fileno(), False)  # type: ignore[union-attr]

    def stop(self, name: str) -> None:
        (self.tmp / f"stop-{name}").touch()
        self.procs.pop(name).wait(timeout=30)
        self.state.pop(name, None)

    def _read(self) -> None:
        for name, proc in self.procs.items():
            assert proc.stdout is not None
            while line := proc.stdout.readline():
                self.state[name] = json.loads(line)
            if proc.poll() is not None:
                raise AssertionError(f"consumer {name} exited with {proc.returncode}")

    def settle(
        self, partitions: set[str], after: int, timeout: float = 60.0
    ) -> tuple[int, dict[str, list[str]]]:
        """Wait until every member reports one generation > ``after``, the assignments cover
        ``partitions`` exactly once, and nothing changes for 2 s."""
        deadline = time.monotonic() + timeout
        stable_since, last = None, None
        while time.monotonic() < deadline:
            self._read()
            snap = {n: (s["generation"], tuple(s["assignment"])) for n, s in self.state.items()}
            gens = {g for g, _ in snap.values()}
            owned = [tp for _, tps in snap.values() for tp in tps]
            ok = (set(snap) == set(self.procs) and len(gens) == 1 and min(gens) > after
                  and len(owned) == len(set(owned)) and set(owned) == partitions)
            if ok and snap == last:
                if stable_since is not None and time.monotonic() - stable_since >= 2.0:
                    return gens.pop(), {n: list(tps) for n, (_, tps) in sorted(snap.items())}
            else:
                stable_since = time.monotonic() if ok else None
            last = snap
            time.sleep(0.1)
        raise AssertionError(f"group did not settle within {timeout} s; last states: {self.state}")

    def close(self) -> None:
        for name in list(self.procs):
            (self.tmp / f"stop-{name}").touch()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def predictions(strategy: str, topics: dict[str, int]) -> list[tuple[int, dict[str, list[str]]]]:
    """(rounds, final assignment) after forming the group and after each step, simulated."""
    from kpart.simulation import parse_scenario, simulate

    out = []
    for k in range(len(STEPS) + 1):
        scenario = parse_scenario({
            "topics": [{"name": t, "partitions": n} for t, n in topics.items()],
            "members": [{"name": "c0", "static": True}],
            "events": STEPS[:k],
        })
        result = simulate(scenario, strategy)
        out.append((result.events[-1].rounds, result.final_assignment))
    return out


@pytest.mark.integration
@pytest.mark.parametrize("strategy", ["range", "roundrobin", "sticky", "cooperative-sticky"])
def test_live_group_ends_with_the_simulated_assignment(
    strategy: str, kafka_bootstrap: str, make_topic: Any, tmp_path: Path
) -> None:
    topics = {make_topic(4): 4, make_topic(3): 3}
    partitions = {f"{t}-{p}" for t, n in topics.items() for p in range(n)}
    expected = predictions(strategy, topics)
    live = LiveGroup(kafka_bootstrap, strategy, sorted(topics), tmp_path)
    try:
        live.start("c0", static=True)
        generation, assignment = live.settle(partitions, after=0)
        assert assignment == expected[0][1], "after the group formed"
        for k, step in enumerate(STEPS, start=1):
            if step["type"] == "join":
                live.start(step["name"], static=step.get("static", False))
            else:
                live.stop(step["member"])
            before = generation
            generation, assignment = live.settle(partitions, after=before)
            rounds, predicted = expected[k]
            assert assignment == predicted, f"after step {k} ({step})"
            if strategy == "cooperative-sticky":
                assert generation - before == rounds, f"rebalance rounds of step {k} ({step})"
    finally:
        live.close()


if __name__ == "__main__" and sys.argv[1:2] == ["worker"]:
    _, _, bootstrap, group, strategy, name, static, stop, *topic_names = sys.argv
    worker(bootstrap, group, strategy, name, static == "1", stop, *topic_names)
