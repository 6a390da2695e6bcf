"""One consumer-group member in its own process, reporting what it owns and what it reads.

Run as ``python group_worker.py '<json config>'``. Config keys: ``client`` (``kafka-python``
with the ``strategies`` adapter, or ``confluent`` for librdkafka), ``bootstrap``, ``group``,
``name``, ``topics``, ``strategies`` (assignor names, in preference order), ``stop`` (a file
path: the member leaves the group once it exists), optional ``instance_id``.

Every line on stdout is one JSON event:

- ``state``: the member's view changed (``member_id``, ``generation``, ``leader``, ``protocol``,
  ``rebalance``, ``assignment`` as sorted ``"topic:partition"`` strings; librdkafka does not
  expose generation or leadership, so those are ``-1`` / ``null`` for ``confluent``);
- ``own``: a rebalance callback added or removed partitions (``op``, ``tps``, ``t`` on the
  machine-wide monotonic clock), so a test can check that no two members ever owned the same
  partition at the same time;
- ``read``: records consumed, as ``"topic:partition/key"`` strings;
- ``closed``: the member left cleanly.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

SESSION_TIMEOUT_MS = 10_000
HEARTBEAT_MS = 300


def emit(event: str, **fields: Any) -> None:
    """Write one event line and flush it at once."""
    sys.stdout.write(json.dumps({"ev": event, "t": time.monotonic(), **fields}) + "\n")
    sys.stdout.flush()


def tp_names(tps: Iterable[Any]) -> list[str]:
    """``"topic:partition"`` strings of any client's topic-partition objects, sorted."""
    return sorted(f"{tp.topic}:{tp.partition}" for tp in tps)


def report_until_stopped(
    cfg: dict[str, Any],
    consumer: Any,
    read_keys: Callable[[], list[str]],
    snapshot: Callable[[], dict[str, Any]],
) -> None:
    """Consume until the stop file exists, emitting reads and every change of state; then close."""
    last = None
    try:
        while not os.path.exists(cfg["stop"]):
            read = read_keys()
            if read:
                emit("read", keys=read)
            state = snapshot()
            if state != last:
                emit("state", **state)
                last = state
        emit("own", op="remove", tps=tp_names(consumer.assignment()))
    finally:
        consumer.close()
    emit("closed")


def run_kafka_python(cfg: dict[str, Any]) -> None:
    """A kafka-python member using the ``strategies`` adapter classes."""
    from kafka import KafkaConsumer
    from kafka.consumer.subscription_state import ConsumerRebalanceListener

    from strategies import kafka_python as adapter

    classes = {
        "range": adapter.KpartRangeAssignor,
        "roundrobin": adapter.KpartRoundRobinAssignor,
        "sticky": adapter.KpartStickyAssignor,
        "cooperative-sticky": adapter.KpartCooperativeStickyAssignor,
    }

    class Listener(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked: Any) -> None:
            emit("own", op="remove", tps=tp_names(revoked))

        def on_partitions_assigned(self, assigned: Any) -> None:
            emit("own", op="add", tps=tp_names(assigned))

        def on_partitions_lost(self, lost: Any) -> None:
            emit("own", op="remove", tps=tp_names(lost))

    consumer = adapter.attach(KafkaConsumer(
        bootstrap_servers=cfg["bootstrap"],
        group_id=cfg["group"],
        client_id=cfg["name"],
        group_instance_id=cfg.get("instance_id"),
        partition_assignment_strategy=[classes[s] for s in cfg["strategies"]],
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_MS,
        auto_offset_reset="earliest",
        enable_auto_commit=False,  # no commits: a new owner re-reads from the start
        metadata_max_age_ms=2_000,
        allow_auto_create_topics=False,
    ))
    consumer.subscribe(cfg["topics"], listener=Listener())
    coordinator = consumer._coordinator

    def read_keys() -> list[str]:
        batches = consumer.poll(timeout_ms=100)
        return [
            f"{tp.topic}:{tp.partition}/{r.key.decode()}"
            for tp, records in batches.items()
            for r in records
            if r.key
        ]

    def snapshot() -> dict[str, Any]:
        generation = coordinator._generation
        return {
            "member_id": generation.member_id,
            "generation": generation.generation_id,
            "leader": bool(coordinator._is_leader),
            "protocol": generation.protocol,
            "rebalance": coordinator._rebalance_protocol.name,
            "assignment": tp_names(consumer.assignment()),
        }

    report_until_stopped(cfg, consumer, read_keys, snapshot)


def run_confluent(cfg: dict[str, Any]) -> None:
    """A librdkafka member (confluent-kafka) with its own built-in assignors."""
    from confluent_kafka import Consumer

    conf = {
        "bootstrap.servers": cfg["bootstrap"],
        "group.id": cfg["group"],
        "client.id": cfg["name"],
        "partition.assignment.strategy": ",".join(cfg["strategies"]),
        "session.timeout.ms": SESSION_TIMEOUT_MS,
        "heartbeat.interval.ms": HEARTBEAT_MS,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": True,
        "auto.commit.interval.ms": 500,
        "topic.metadata.refresh.interval.ms": 2_000,
        "allow.auto.create.topics": False,
    }
    if cfg.get("instance_id"):
        conf["group.instance.id"] = cfg["instance_id"]
    consumer = Consumer(conf)

    def added(_: Any, tps: list[Any]) -> None:
        emit("own", op="add", tps=tp_names(tps))

    def removed(_: Any, tps: list[Any]) -> None:
        emit("own", op="remove", tps=tp_names(tps))

    consumer.subscribe(cfg["topics"], on_assign=added, on_revoke=removed, on_lost=removed)

    def read_keys() -> list[str]:
        return [
            f"{msg.topic()}:{msg.partition()}/{msg.key().decode()}"
            for msg in consumer.consume(num_messages=500, timeout=0.1)
            if msg.error() is None and msg.key()
        ]

    def snapshot() -> dict[str, Any]:
        return {
            "member_id": consumer.memberid(),
            "generation": -1,
            "leader": None,
            "protocol": ",".join(cfg["strategies"]),
            "rebalance": None,
            "assignment": tp_names(consumer.assignment()),
        }

    report_until_stopped(cfg, consumer, read_keys, snapshot)


def main(argv: list[str]) -> int:
    """Run the member described by ``argv[1]``; report a crash as an ``error`` event."""
    cfg = json.loads(argv[1])
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        if cfg["client"] == "kafka-python":
            run_kafka_python(cfg)
        elif cfg["client"] == "confluent":
            run_confluent(cfg)
        else:
            raise ValueError(f"unknown client {cfg['client']!r}")
    except Exception:
        emit("error", traceback=traceback.format_exc())
        return 1
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    sys.exit(main(sys.argv))
