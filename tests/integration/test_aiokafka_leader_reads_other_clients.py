"""An aiokafka leader running our range assignor reads the v3 subscriptions (rack included) of
librdkafka and kafka-python members, and the three clients share the partitions."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from confluent_kafka import Consumer
from kafka import KafkaConsumer

from strategies.kafka_python import KafkaPythonAssignor, attach
from tests.integration.test_aiokafka_groups import Worker

pytestmark = pytest.mark.integration


def test_aiokafka_leader_sees_racks_of_librdkafka_and_kafka_python_members(
        kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(6)
    group = f"aio-leads-{uuid.uuid4().hex[:6]}"
    log: list[dict] = []
    lock = threading.Lock()
    leader = Worker(kafka_bootstrap, [topic],
                    [{"label": "aio", "group": group, "assignor": "range", "rack": "rack-a"}], log, lock)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        deadline = time.monotonic() + 30
        while not any(e.get("label") == "aio" and len(e.get("assigned", ())) == 6 for e in list(log)):
            assert time.monotonic() < deadline and leader.proc.poll() is None, leader.error_output()
            time.sleep(0.1)

        def librdkafka() -> None:
            c = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group, "client.rack": "rack-b",
                          "partition.assignment.strategy": "range", "session.timeout.ms": 10_000})
            c.subscribe([topic])
            while not stop.is_set():
                c.poll(0.2)
            c.close()

        def kafka_python() -> None:
            assignor = KafkaPythonAssignor("range", rack="rack-c")
            c = attach(KafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, group_id=group,
                                     partition_assignment_strategy=[assignor],
                                     session_timeout_ms=10_000, heartbeat_interval_ms=500))
            while not stop.is_set():
                c.poll(timeout_ms=200)
            c.close()

        threads = [threading.Thread(target=f, daemon=True) for f in (librdkafka, kafka_python)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while True:
            seen = [e["leader_saw_racks"] for e in list(log) if "leader_saw_racks" in e]
            if seen and sorted(seen[-1].values()) == ["rack-a", "rack-b", "rack-c"]:
                break
            assert time.monotonic() < deadline, f"leader views: {seen}"
            assert leader.proc.poll() is None, leader.error_output()
            time.sleep(0.2)
        # the leader's own share after that rebalance: 2 of 6 partitions
        deadline = time.monotonic() + 30
        while not [e for e in list(log) if e.get("label") == "aio" and len(e.get("assigned", ())) == 2]:
            assert time.monotonic() < deadline, log[-5:]
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join(20)
        leader.stop()
