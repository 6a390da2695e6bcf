"""A kafka-python group member that processes each record slowly, in its own process, so a test
can stop it (SIGSTOP) while it holds a batch.

Run as ``python slow_batch_worker.py '<json config>'``. Config keys: ``bootstrap``, ``group``,
``topic``, ``session_timeout_ms``, ``max_poll_records``, ``per_record_s`` (time each record
takes), ``guard`` (true: iterate each batch through
:class:`strategies.kafka_python.OwnershipGuard`; false: iterate it as it came).

Every line on stdout is one JSON event with ``t`` on the machine-wide monotonic clock: ``own``
(``op`` ``add`` / ``remove`` / ``lost``, ``parts``, and ``lapsed`` for a loss found by the
session check), ``read`` (``p``, ``offset``, ``left``: records of the batch not yet taken),
printed when a record is taken for processing, which then takes ``per_record_s``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer

from strategies.kafka_python import KpartRangeAssignor, OwnershipGuard, attach


def emit(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"ev": event, "t": time.monotonic(), **fields}) + "\n")
    sys.stdout.flush()


def main(cfg: dict[str, Any]) -> None:
    consumer = attach(KafkaConsumer(
        bootstrap_servers=cfg["bootstrap"],
        group_id=cfg["group"],
        session_timeout_ms=cfg["session_timeout_ms"],
        heartbeat_interval_ms=1000,
        max_poll_interval_ms=120_000,
        max_poll_records=cfg["max_poll_records"],
        reconnect_backoff_max_ms=1000,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        partition_assignment_strategy=[KpartRangeAssignor],
    ))
    guard = OwnershipGuard(consumer)

    class Listener(ConsumerRebalanceListener):
        def on_partitions_assigned(self, assigned: Any) -> None:
            emit("own", op="add", parts=sorted(tp.partition for tp in assigned))

        def on_partitions_revoked(self, revoked: Any) -> None:
            emit("own", op="remove", parts=sorted(tp.partition for tp in revoked))

        def on_partitions_lost(self, lost: Any) -> None:
            emit("own", op="lost", parts=sorted(tp.partition for tp in lost), lapsed=guard.lapsed_at)

    consumer.subscribe([cfg["topic"]], listener=Listener())
    while True:
        batches = consumer.poll(timeout_ms=200)
        total = sum(len(rs) for rs in batches.values())
        records = guard.records(batches) if cfg["guard"] else (r for rs in batches.values() for r in rs)
        for done, record in enumerate(records, 1):
            emit("read", p=record.partition, offset=record.offset, left=total - done)
            time.sleep(cfg["per_record_s"])


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
