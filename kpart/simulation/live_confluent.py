"""The confluent-kafka (librdkafka) side of the live runs: consumer-protocol members and the
broker's view of a KIP-848 group.

* :func:`run_member` -- one ``group.protocol=consumer`` consumer process (called by
  :mod:`kpart.simulation.live_worker` for ``kip848-*`` strategies), naming the broker's
  assignor with ``group.remote.assignor``.
* :class:`GroupView` -- reads each member's current and *target* assignment with
  ``AdminClient.describe_consumer_groups`` (the ConsumerGroupDescribe API), the assignment the
  broker's assignor computed, which members then reconcile towards.

Only this module imports confluent-kafka.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, ConsumerGroupState
from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

from kpart.client_config import settings_for

REMOTE_ASSIGNORS = {"kip848-uniform": "uniform", "kip848-range": "range"}
"""Our KIP-848 strategy names -> the broker assignor a member names in ``group.remote.assignor``."""


def run_member(bootstrap: str, group: str, strategy: str, name: str, static: bool, stop: str,
               topics: list[str], report: Callable[[str, list[str]], None]) -> None:
    """Consume ``topics`` in ``group`` under the consumer protocol until ``stop`` exists, calling
    ``report(member_id, assignment)`` whenever either changes; then close (a static member
    leaves only temporarily, keeping its assignment for its return)."""
    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": name,
        "group.protocol": "consumer",
        "group.remote.assignor": REMOTE_ASSIGNORS[strategy],
        "enable.auto.commit": False,
        "topic.metadata.refresh.interval.ms": 2000,
        "allow.auto.create.topics": False,
        **settings_for("confluent"),
    }
    if static:
        conf["group.instance.id"] = name
    consumer = Consumer(conf)
    consumer.subscribe(topics)
    last = None
    try:
        while not os.path.exists(stop):
            consumer.poll(0.1)
            state = (consumer.memberid() or "",
                     sorted(f"{tp.topic}-{tp.partition}" for tp in consumer.assignment()))
            if state != last:
                report(*state)
                last = state
    finally:
        consumer.close()


@dataclass(frozen=True)
class MemberView:
    """One member as the broker describes it: ids, current and target assignment."""

    name: str
    member_id: str
    assignment: frozenset[str]
    target: frozenset[str]


class GroupView:
    """The broker's description of one consumer group."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self.group = group
        self.admin = AdminClient({"bootstrap.servers": bootstrap, **settings_for("confluent")})

    def speed_up_heartbeats(self, interval_ms: int) -> bool:
        """Set the group's ``consumer.heartbeat.interval.ms`` (the broker default is 5 s); False
        if the broker refuses it (below its ``group.consumer.min.heartbeat.interval.ms``)."""
        resource = ConfigResource(ResourceType.GROUP, self.group, incremental_configs=[
            ConfigEntry("consumer.heartbeat.interval.ms", str(interval_ms),
                        incremental_operation=AlterConfigOpType.SET)])
        try:
            for future in self.admin.incremental_alter_configs([resource]).values():
                future.result(timeout=30)
        except Exception:  # noqa: BLE001 - any refusal leaves the broker's default, which works too
            return False
        return True

    def members(self) -> list[MemberView]:
        """Every member, named by its ``client.id``, while the group is stable (else nothing: a
        classic group in a rebalance still describes its old assignment); a member whose target
        the broker does not report (a classic group) has its current assignment as target."""
        future = self.admin.describe_consumer_groups([self.group], request_timeout=30)[self.group]
        description = future.result(timeout=30)
        if description.state != ConsumerGroupState.STABLE:
            return []
        out = []
        for m in description.members:
            current = frozenset(_names(m.assignment))
            target = frozenset(_names(m.target_assignment)) if m.target_assignment is not None else current
            out.append(MemberView(m.client_id, m.member_id, current, target))
        return out


def _names(assignment: Any) -> list[str]:
    return [f"{tp.topic}-{tp.partition}" for tp in (assignment.topic_partitions if assignment else [])]


def report_line(name: str) -> Callable[[str, list[str]], None]:
    """A ``report`` for :func:`run_member` printing the worker's JSON state line."""

    def report(member_id: str, assignment: list[str]) -> None:
        print(json.dumps({"name": name, "generation": -1, "member_id": member_id, "assignment": assignment}),
              flush=True)

    return report
