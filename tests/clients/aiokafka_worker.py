"""Run aiokafka consumers with our assignors in one process; report every assignment as JSON.

Usage: ``python aiokafka_worker.py CONFIG_JSON``; CONFIG: ``{"bootstrap", "topics",
"members": [{"label", "group", "assignor"}]}``. Prints one JSON line per event:
``{"label", "member_id", "generation", "assigned": [[topic, partition], ...]}`` after each
assignment, and ``{"label", "leader_saw": {member_id: generation}, "leader_saw_racks": {member_id: rack}}``
when it led a rebalance.
Closes every consumer (leaving the groups) when stdin closes or reads ``stop``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener

from kpart.compat import aiokafka as aiokafka_compat
from strategies.aiokafka import AiokafkaAssignor, attach, subscriptions_from_members


def emit(**fields: Any) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class ReportingAssignor(AiokafkaAssignor):
    def __init__(self, name: str, label: str) -> None:
        super().__init__(name)
        self.label = label

    def assign(self, cluster: Any, members: Any) -> Any:
        seen = subscriptions_from_members(members)
        emit(label=self.label, leader_saw={m: s.generation for m, s in seen.items()},
             leader_saw_racks={m: s.rack for m, s in seen.items()})
        return super().assign(cluster, members)


class Reporter(ConsumerRebalanceListener):
    def __init__(self, label: str) -> None:
        self.label = label
        self.consumer: AIOKafkaConsumer | None = None

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        assert self.consumer is not None
        coordinator = aiokafka_compat.coordinator_of(self.consumer)
        emit(label=self.label, member_id=coordinator.member_id, generation=coordinator.generation,
             assigned=sorted([tp.topic, tp.partition] for tp in assigned))


async def main(config: dict[str, Any]) -> None:
    consumers = []
    for m in config["members"]:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=config["bootstrap"], group_id=m["group"], enable_auto_commit=False,
            heartbeat_interval_ms=200, session_timeout_ms=10_000, rebalance_timeout_ms=10_000,
            metadata_max_age_ms=2_000, client_rack=m.get("rack"),
            partition_assignment_strategy=[ReportingAssignor(m["assignor"], m["label"])])
        attach(consumer)
        reporter = Reporter(m["label"])
        reporter.consumer = consumer
        consumer.subscribe(config["topics"], listener=reporter)
        consumers.append(consumer)
    await asyncio.gather(*(c.start() for c in consumers))

    async def drive(c: AIOKafkaConsumer) -> None:
        while True:
            await c.getmany(timeout_ms=200)

    tasks = [asyncio.create_task(drive(c)) for c in consumers]
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == "stop":
            break
    for t in tasks:
        t.cancel()
    await asyncio.gather(*(c.stop() for c in consumers), return_exceptions=True)
    emit(stopped=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
