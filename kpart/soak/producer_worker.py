"""The soak's producer process: ``python -m kpart.soak.producer_worker CFG``.

Two ``BoundedProducer`` (acks=all, idempotent, small ``buffer_memory``): one sends keyed
records through ``partitioner`` (value ``k<key>:<seq>``, a sequence number per key), the other
keyless records through ``uniform_sticky`` (value ``u:<seq>``). ``CFG`` is JSON: ``bootstrap``,
``proxy_url``, ``topic``, ``keys``, ``rate`` (records/s in all), ``partitioner``, ``log``,
``stop``. Logged: ``ack`` (``[partition, offset, value]`` each, acknowledged by the cluster),
``fail`` (the value and error), ``blocked`` (``send`` gave up after ``max_block_ms``), ``closed``.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from typing import Any

from kpart.soak.clients import make_producer
from kpart.soak.worklog import EventLog, die_with_parent


def run(cfg: dict[str, Any]) -> None:
    from kafka.errors import KafkaError

    from partitioning.kafka_python import create
    from partitioning.producer import BufferExhaustedError

    log = EventLog(cfg["log"])
    keyed = make_producer(cfg, create(cfg["partitioner"]))
    keyless = make_producer(cfg, create("uniform_sticky"))
    rng = random.Random(cfg.get("seed", 0))
    seqs = [0] * cfg["keys"]
    acks: list[list[Any]] = []
    lock = threading.Lock()

    def on_ack(value: str, md: Any) -> None:
        with lock:
            acks.append([md.partition, md.offset, value])

    def drain() -> None:
        with lock:
            batch = list(acks)
            acks.clear()
        if batch:
            log.write("ack", recs=batch)

    def on_fail(value: str, exc: BaseException) -> None:
        log.write("fail", value=value, err=type(exc).__name__)

    interval = 1.0 / cfg["rate"]
    sent = 0
    next_at = time.monotonic()
    last_flush = next_at
    try:
        while not os.path.exists(cfg["stop"]):
            if rng.random() < 0.75:
                k = rng.randrange(cfg["keys"])
                value, key, producer = f"k{k}:{seqs[k]}", f"k{k}".encode(), keyed
                seqs[k] += 1
            else:
                value, key, producer = f"u:{sent}", None, keyless
            sent += 1
            try:
                future = producer.send(cfg["topic"], value=value.encode(), key=key)
            except BufferExhaustedError:
                log.write("blocked", value=value)
            except KafkaError as exc:
                log.write("fail", value=value, err=type(exc).__name__)
            else:
                future.add_callback(lambda md, v=value: on_ack(v, md))
                future.add_errback(lambda exc, v=value: on_fail(v, exc))
            now = time.monotonic()
            if now - last_flush >= 0.5:
                drain()
                last_flush = now
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        for p in (keyed, keyless):
            p.flush(timeout=60)
    finally:
        for p in (keyed, keyless):
            p.close(timeout=10)
        drain()
        log.write("closed", sent=sent)
        log.close()


if __name__ == "__main__":
    die_with_parent()
    run(json.loads(sys.argv[1]))
