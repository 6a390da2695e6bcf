"""One librdkafka soak member, in its own process: ``python -m kpart.soak.confluent_worker CFG``.

The confluent-kafka ``Consumer`` with librdkafka's own assignor of the same protocol name
(``range``, ``roundrobin``, ``cooperative-sticky``; classic protocol), so it joins the same
group as the kafka-python and Java members. ``CFG`` and the events it logs are those of
:mod:`kpart.soak.consumer_worker`, on the same machine-wide monotonic clock, except that
librdkafka does not say which member leads, so this member never logs ``led``. It commits on
revocation and on leaving synchronously, and every second asynchronously (failures logged by
the commit callback), never automatically: librdkafka's synchronous commit waits without bound
while the coordinator is unreachable, and a member blocked in it past ``max.poll.interval.ms``
leaves the group and, static, is fenced for good (seen in the soak after a coordinator kill).
A fatal error is logged as ``fatal``; the member then replaces its consumer (``restart``, its
partitions ``lost`` first), as a supervisor restarting the application would. The one seen:
a static member whose session lapsed while the coordinator was down rejoins under a new member
id, and a commit still queued under the old one is answered ``FENCED_INSTANCE_ID``, which
librdkafka raises as fatal.

It connects to the brokers directly: librdkafka has no HTTP proxy, so the soak's network
stall (a relay on kafka-python's ``proxy_url``) does not reach it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from typing import Any

from kpart.compat.confluent import consumer_generation
from kpart.soak import clients
from kpart.soak.consumer_worker import COMMIT_INTERVAL_S
from kpart.soak.worklog import EventLog, die_with_parent

STRATEGIES = ("range", "roundrobin", "cooperative-sticky")
"""librdkafka's built-in assignors (classic protocol) that share a name with ours."""


def consumer_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """librdkafka settings for one member: the soak's timeouts, Java-like reconnects, no auto commit."""
    conf: dict[str, Any] = {
        "bootstrap.servers": cfg["bootstrap"],
        "group.id": cfg["group"],
        "client.id": cfg["name"],
        "partition.assignment.strategy": cfg["strategy"],
        "session.timeout.ms": clients.SESSION_TIMEOUT_MS,
        "heartbeat.interval.ms": clients.HEARTBEAT_INTERVAL_MS,
        "max.poll.interval.ms": clients.MAX_POLL_INTERVAL_MS,
        "reconnect.backoff.max.ms": clients.RECONNECT_BACKOFF_MAX_MS,
        "topic.metadata.refresh.interval.ms": clients.METADATA_MAX_AGE_MS,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "allow.auto.create.topics": False,
    }
    if cfg.get("instance_id"):
        conf["group.instance.id"] = cfg["instance_id"]
    if cfg.get("rack"):
        conf["client.rack"] = cfg["rack"]
    return conf


class Member:
    """The member's consumer, its callbacks and its commits; :meth:`renew` replaces a consumer
    that hit a fatal error, as a supervisor restarting the application would."""

    def __init__(self, cfg: dict[str, Any], log: EventLog) -> None:
        self.cfg = cfg
        self.log = log
        self.positions: dict[int, int] = {}  # partition -> next offset to commit (processed + 1)
        self.held: set[int] = set()  # partitions owned, by the callbacks
        self.consumer: Any = None
        self.renew()

    def renew(self) -> None:
        from confluent_kafka import Consumer

        if self.consumer is not None:
            if self.held:
                self.log.write("own", op="lost", parts=sorted(self.held), gen=-1)
            self.held.clear()
            self.positions.clear()
            old, self.consumer = self.consumer, None
            with contextlib.suppress(Exception):  # a consumer after a fatal error may raise
                old.close()
            self.log.write("restart")
        consumer = Consumer({**consumer_config(self.cfg), "on_commit": self._on_commit})
        consumer.subscribe([self.cfg["topic"]], on_assign=self._on_assign, on_revoke=self._on_revoke,
                           on_lost=self._on_lost)
        self.consumer = consumer

    def generation(self) -> int:
        return consumer_generation(self.consumer, self.cfg["group"])

    def commit(self, parts: list[int], asynchronous: bool = False) -> bool:
        from confluent_kafka import KafkaException, TopicPartition

        topic = self.cfg["topic"]
        offsets = [TopicPartition(topic, p, self.positions[p]) for p in parts if p in self.positions]
        if not offsets:
            return True
        try:
            self.consumer.commit(offsets=offsets, asynchronous=asynchronous)
            return True
        except KafkaException as exc:
            self.log.write("commit", ok=False, parts=sorted(tp.partition for tp in offsets),
                           err=exc.args[0].name() if exc.args else type(exc).__name__)
            return False

    def _on_commit(self, err: Any, tps: list[Any]) -> None:
        if err is not None:
            self.log.write("commit", ok=False, parts=sorted(tp.partition for tp in tps), err=err.name())

    def _on_assign(self, consumer: Any, tps: list[Any]) -> None:
        if consumer is not self.consumer:
            return  # the replaced consumer, closing
        parts = sorted(tp.partition for tp in tps)
        self.held |= set(parts)
        self.log.write("own", op="add", parts=parts, gen=self.generation())

    def _on_revoke(self, consumer: Any, tps: list[Any]) -> None:
        if consumer is not self.consumer:
            return
        parts = sorted(tp.partition for tp in tps)
        ok = self.commit(parts)
        self.log.write("own", op="remove", parts=parts, gen=self.generation(), committed=ok)
        self._forget(parts)

    def _on_lost(self, consumer: Any, tps: list[Any]) -> None:
        if consumer is not self.consumer:
            return
        parts = sorted(tp.partition for tp in tps)
        self.log.write("own", op="lost", parts=parts, gen=self.generation())
        self._forget(parts)

    def _forget(self, parts: list[int]) -> None:
        self.held -= set(parts)
        for p in parts:
            self.positions.pop(p, None)


def _fatal(err: Any) -> bool:
    """A librdkafka error after which the consumer is unusable (``consume()`` reports it with
    code ``_FATAL``, not always with the ``fatal()`` flag)."""
    from confluent_kafka import KafkaError

    return bool(err.fatal() or err.code() == KafkaError._FATAL)


def run(cfg: dict[str, Any]) -> None:
    from confluent_kafka import KafkaException

    if cfg["strategy"] not in STRATEGIES:
        raise ValueError(f"librdkafka has no assignor {cfg['strategy']!r}; it has {', '.join(STRATEGIES)}")
    log = EventLog(cfg["log"])
    log.write("start", pid=os.getpid())
    member = Member(cfg, log)
    stopping = [False]

    def on_term(*_: Any) -> None:
        stopping[0] = True

    signal.signal(signal.SIGTERM, on_term)
    last_commit = time.monotonic()
    try:
        while not stopping[0] and not os.path.exists(cfg["stop"]):
            try:
                messages = member.consumer.consume(num_messages=500, timeout=0.2)
            except KafkaException as exc:
                fatal = bool(exc.args) and _fatal(exc.args[0])
                log.write("fatal" if fatal else "poll_error", err=str(exc)[:200])
                if fatal:
                    member.renew()
                else:
                    time.sleep(0.2)
                continue
            recs = []
            fatal = False
            for m in messages:
                if m.error() is not None:
                    fatal = fatal or _fatal(m.error())
                    log.write("fatal" if _fatal(m.error()) else "poll_error", err=str(m.error())[:200])
                    continue
                recs.append([m.partition(), m.offset(), m.value().decode()])
                member.positions[m.partition()] = m.offset() + 1
            if recs:
                log.write("read", recs=recs)
            if fatal:
                member.renew()
                continue
            if time.monotonic() - last_commit >= COMMIT_INTERVAL_S:
                member.commit(sorted(tp.partition for tp in member.consumer.assignment()), asynchronous=True)
                last_commit = time.monotonic()
        owned = sorted(tp.partition for tp in member.consumer.assignment())
        ok = member.commit(owned)
        log.write("own", op="remove", parts=owned, gen=member.generation(), committed=ok)
        member.held.clear()
        member.positions.clear()  # close() revokes again: nothing left to commit
    finally:
        member.consumer.close()
        log.write("closed")
        log.close()


if __name__ == "__main__":
    die_with_parent()
    run(json.loads(sys.argv[1]))
