"""A consumer in a group that prints its assignment on every rebalance and the records it reads.

    python examples/partition_consumer.py --strategy range --name c1

Run several at once (same ``--group``) and stop one to watch its partitions move to the others.
Every rebalance prints ``<name> assigned [p, ...]`` (and ``<name> revoked [...]`` before it);
every record prints ``<name> read partition=P offset=O key=K``. The consumer exits after
``--idle-exit`` seconds without records or assignment changes (0 = run until interrupted).
Ctrl-C or SIGTERM leaves the group and exits within a second or two. Without ``--bootstrap`` it
finds the local broker as ``partition_producer.py`` does; ``--client-config FILE`` as there.
"""

from __future__ import annotations

import argparse
import signal
import time
from pathlib import Path

from kafka import ConsumerRebalanceListener, KafkaConsumer

import strategies
from kpart.broker import BrokerError
from kpart.client_access import AccessError, connect
from strategies.kafka_python import KafkaPythonAssignor, OwnershipGuard, attach


class PrintingListener(ConsumerRebalanceListener):
    """Prints each assignment change and remembers when the last one happened."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.last_change = time.monotonic()

    def _show(self, verb: str, partitions) -> None:
        numbers = sorted(tp.partition for tp in partitions)
        print(f"{self.name} {verb} {numbers}", flush=True)
        self.last_change = time.monotonic()

    def on_partitions_revoked(self, revoked) -> None:
        self._show("revoked", revoked)

    def on_partitions_assigned(self, assigned) -> None:
        self._show("assigned", assigned)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="broker host:port (default: the local broker)")
    parser.add_argument("--topic", default="hello_world")
    parser.add_argument("--group", default="hello_world_group")
    parser.add_argument("--strategy", default="range", choices=strategies.names())
    parser.add_argument("--name", default="consumer", help="label printed on each line")
    parser.add_argument("--idle-exit", type=float, default=0.0)
    parser.add_argument("--client-config", type=Path, metavar="FILE", help="client security settings")
    args = parser.parse_args()
    try:
        bootstrap, _, security = connect(args.bootstrap, args.client_config, "kafka-python")
    except BrokerError as exc:
        parser.exit(1, f"error: {exc}\n")
    except AccessError as exc:
        parser.exit(2, f"error: {exc}\n")

    stopping: list[int] = []
    for sig in (signal.SIGINT, signal.SIGTERM):  # finish the current poll, then leave cleanly
        signal.signal(sig, lambda number, _frame: stopping.append(number))
    consumer = attach(KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=args.group,
        client_id=args.name,
        auto_offset_reset="earliest",
        partition_assignment_strategy=[KafkaPythonAssignor(args.strategy)],
        session_timeout_ms=10_000,
        heartbeat_interval_ms=1_000,
        reconnect_backoff_max_ms=1_000,  # kafka-python's 30 s default delays recovery from a restart
        **security,
    ))
    listener = PrintingListener(args.name)
    consumer.subscribe([args.topic], listener=listener)
    guard = OwnershipGuard(consumer)  # no record is processed once this member's session lapsed
    try:
        while not stopping:
            batches = consumer.poll(timeout_ms=200)
            if batches:
                listener.last_change = time.monotonic()
            for record in guard.records(batches):
                key = record.key.decode() if record.key else None
                print(
                    f"{args.name} read partition={record.partition} offset={record.offset} key={key}",
                    flush=True,
                )
            if args.idle_exit and time.monotonic() - listener.last_change > args.idle_exit:
                break
    finally:
        consumer.close(timeout_ms=2000)  # leaves the group at once: the others rebalance without waiting


if __name__ == "__main__":
    main()
