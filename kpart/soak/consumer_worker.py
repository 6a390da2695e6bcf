"""One soak consumer-group member, in its own process: ``python -m kpart.soak.consumer_worker CFG``.

``CFG`` is JSON: ``bootstrap``, ``proxy_url``, ``group``, ``name``, ``instance_id`` (static
members), ``strategy`` (a registered assignor name), ``rack``, ``topic``, ``log`` and ``stop``
(paths); optional ``reconnect_backoff_max_ms`` (default the soak's). The member logs (see
:mod:`kpart.soak.worklog`):

- ``own``: ``op`` ``add`` / ``remove`` (revoked) / ``lost``, ``parts``, the ``gen`` of the
  assignment, for a revocation whether its offsets were ``committed`` first, and for a loss
  found by the session check the moment the session ``lapsed`` (same clock);
- ``led``: this member ran the assignor as leader for generation ``gen`` (logged at the next
  assignment);
- ``read``: a record processed, ``[[partition, offset, value]]``, logged *before* its
  offset is committed (at least once); each record passed
  :class:`~strategies.kafka_python.OwnershipGuard` just before, so a member whose session
  lapsed while it held a batch processes none of the rest;
- ``commit`` failures; ``poll_error`` when ``poll()`` raised (the member carries on, as an
  application that catches ``KafkaError`` would); ``closed`` on a clean exit (SIGTERM or the
  stop file).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from typing import Any

from kpart.soak import clients
from kpart.soak.worklog import EventLog, die_with_parent

COMMIT_INTERVAL_S = 1.0


def run(cfg: dict[str, Any]) -> None:
    from kafka.consumer.subscription_state import AsyncConsumerRebalanceListener
    from kafka.errors import KafkaError
    from kafka.structs import OffsetAndMetadata, TopicPartition

    from strategies.kafka_python import KafkaPythonAssignor, OwnershipGuard

    log = EventLog(cfg["log"])
    if "reconnect_backoff_max_ms" in cfg:  # a measurement of another value than the soak's
        clients.RECONNECT_BACKOFF_MAX_MS = int(cfg["reconnect_backoff_max_ms"])
    positions: dict[int, int] = {}  # partition -> next offset to commit (processed + 1)
    led: list[bool] = [False]

    class Assignor(KafkaPythonAssignor):
        def assign(self, cluster: Any, members: Any) -> Any:
            led[0] = True
            return super().assign(cluster, members)

    assignor = Assignor(cfg["strategy"], rack=cfg.get("rack"))
    consumer = clients.make_consumer(cfg, assignor)
    log.write("start", pid=os.getpid(), reconnect_backoff_max_ms=consumer.config["reconnect_backoff_max_ms"])
    guard = OwnershipGuard(consumer)

    def commit(parts: list[int]) -> bool:
        offsets = {TopicPartition(cfg["topic"], p): OffsetAndMetadata(positions[p], "", -1)
                   for p in parts if p in positions}
        if not offsets:
            return True
        try:
            consumer.commit(offsets)
            return True
        except Exception as exc:  # noqa: BLE001 - logged and counted; a raising callback wedges poll()
            log.write("commit", ok=False, parts=sorted(tp.partition for tp in offsets),
                      err=type(exc).__name__)
            return False

    async def commit_in_callback(parts: list[int]) -> bool:
        """Commit from a rebalance callback. kafka-python 3.0.12 runs callbacks on its IO thread
        when the rebalance starts there; a blocking ``commit()`` then raises RuntimeError, so
        the listener is async and awaits ``commit_async``."""
        offsets = {TopicPartition(cfg["topic"], p): OffsetAndMetadata(positions[p], "", -1)
                   for p in parts if p in positions}
        if not offsets:
            return True
        try:
            response = await consumer.commit_async(offsets)
        except Exception as exc:  # noqa: BLE001 - logged; the revocation goes on
            log.write("commit", ok=False, parts=sorted(offsets_parts(offsets)), err=type(exc).__name__)
            return False
        return response is None or type(response).__name__.startswith("OffsetCommitResponse")

    def offsets_parts(offsets: dict[Any, Any]) -> list[int]:
        return [tp.partition for tp in offsets]

    class Listener(AsyncConsumerRebalanceListener):
        async def on_partitions_revoked(self, revoked: Any) -> None:
            parts = sorted(tp.partition for tp in revoked)
            ok = await commit_in_callback(parts)
            log.write("own", op="remove", parts=parts, gen=assignor.generation, committed=ok)
            for p in parts:
                positions.pop(p, None)

        async def on_partitions_assigned(self, assigned: Any) -> None:
            if led[0]:
                log.write("led", gen=assignor.generation)
                led[0] = False
            log.write("own", op="add", parts=sorted(tp.partition for tp in assigned), gen=assignor.generation)

        async def on_partitions_lost(self, lost: Any) -> None:
            parts = sorted(tp.partition for tp in lost)
            log.write("own", op="lost", parts=parts, gen=assignor.generation, lapsed=guard.lapsed_at)
            for p in parts:
                positions.pop(p, None)

    stopping = [False]

    def on_term(*_: Any) -> None:
        stopping[0] = True

    signal.signal(signal.SIGTERM, on_term)
    consumer.subscribe([cfg["topic"]], listener=Listener())
    last_commit = time.monotonic()
    try:
        while not stopping[0] and not os.path.exists(cfg["stop"]):
            try:
                batches = consumer.poll(timeout_ms=200)
            except KafkaError as exc:  # e.g. UnknownBrokerIdError right after a broker died
                log.write("poll_error", err=f"{type(exc).__name__}: {exc}"[:200])
                time.sleep(0.2)
                continue
            for r in guard.records(batches):  # processing a record = logging it, one at a time
                log.write("read", recs=[[r.partition, r.offset, r.value.decode()]])
                positions[r.partition] = r.offset + 1
            if time.monotonic() - last_commit >= COMMIT_INTERVAL_S:
                commit(sorted(tp.partition for tp in consumer.assignment()))
                last_commit = time.monotonic()
        owned = sorted(tp.partition for tp in consumer.assignment())
        ok = commit(owned)
        log.write("own", op="remove", parts=owned, gen=assignor.generation, committed=ok)
    finally:
        consumer.close()
        log.write("closed")
        log.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(created).3f %(levelname)s %(name)s %(message)s")
    die_with_parent()
    run(json.loads(sys.argv[1]))
