"""One librdkafka soak member, in its own process: ``python -m kpart.soak.confluent_worker CFG``.

The confluent-kafka ``Consumer`` with librdkafka's own assignor of the same protocol name
(``range``, ``roundrobin``, ``cooperative-sticky``; classic protocol), so it joins the same
group as the kafka-python and Java members. ``CFG`` and the events it logs are those of
:mod:`kpart.soak.consumer_worker`, on the same machine-wide monotonic clock, except that
librdkafka does not say which member leads, so this member never logs ``led``. It commits on
revocation (synchronously, inside the callback) and every second, never automatically.

It connects to the brokers directly: librdkafka has no HTTP proxy, so the soak's network
stall (a relay on kafka-python's ``proxy_url``) does not reach it.
"""

from __future__ import annotations

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


def run(cfg: dict[str, Any]) -> None:
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    if cfg["strategy"] not in STRATEGIES:
        raise ValueError(f"librdkafka has no assignor {cfg['strategy']!r}; it has {', '.join(STRATEGIES)}")
    log = EventLog(cfg["log"])
    log.write("start", pid=os.getpid())
    positions: dict[int, int] = {}  # partition -> next offset to commit (processed + 1)
    consumer = Consumer(consumer_config(cfg))

    def generation() -> int:
        return consumer_generation(consumer, cfg["group"])

    def commit(parts: list[int]) -> bool:
        offsets = [TopicPartition(cfg["topic"], p, positions[p]) for p in parts if p in positions]
        if not offsets:
            return True
        try:
            consumer.commit(offsets=offsets, asynchronous=False)
            return True
        except KafkaException as exc:
            log.write("commit", ok=False, parts=sorted(tp.partition for tp in offsets),
                      err=exc.args[0].name() if exc.args else type(exc).__name__)
            return False

    def on_assign(_: Any, tps: list[Any]) -> None:
        log.write("own", op="add", parts=sorted(tp.partition for tp in tps), gen=generation())

    def on_revoke(_: Any, tps: list[Any]) -> None:
        parts = sorted(tp.partition for tp in tps)
        ok = commit(parts)
        log.write("own", op="remove", parts=parts, gen=generation(), committed=ok)
        for p in parts:
            positions.pop(p, None)

    def on_lost(_: Any, tps: list[Any]) -> None:
        parts = sorted(tp.partition for tp in tps)
        log.write("own", op="lost", parts=parts, gen=generation())
        for p in parts:
            positions.pop(p, None)

    stopping = [False]

    def on_term(*_: Any) -> None:
        stopping[0] = True

    signal.signal(signal.SIGTERM, on_term)
    consumer.subscribe([cfg["topic"]], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    last_commit = time.monotonic()
    try:
        while not stopping[0] and not os.path.exists(cfg["stop"]):
            try:
                messages = consumer.consume(num_messages=500, timeout=0.2)
            except KafkaException as exc:
                log.write("poll_error", err=str(exc)[:200])
                time.sleep(0.2)
                continue
            recs = []
            for m in messages:
                if m.error() is not None:
                    log.write("poll_error", err=str(m.error())[:200])
                    continue
                recs.append([m.partition(), m.offset(), m.value().decode()])
                positions[m.partition()] = m.offset() + 1
            if recs:
                log.write("read", recs=recs)
            if time.monotonic() - last_commit >= COMMIT_INTERVAL_S:
                commit(sorted(tp.partition for tp in consumer.assignment()))
                last_commit = time.monotonic()
        owned = sorted(tp.partition for tp in consumer.assignment())
        ok = commit(owned)
        log.write("own", op="remove", parts=owned, gen=generation(), committed=ok)
        positions.clear()  # close() revokes again: nothing left to commit or log as owned
    finally:
        consumer.close()
        log.write("closed")
        log.close()


if __name__ == "__main__":
    die_with_parent()
    run(json.loads(sys.argv[1]))
