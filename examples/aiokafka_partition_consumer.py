"""aiokafka: a consumer in a group that prints its assignment on every rebalance and what it reads.

    python examples/aiokafka_partition_consumer.py --bootstrap 127.0.0.1:9092 --strategy sticky --name c1

The same as ``partition_consumer.py`` with aiokafka (``pip install 'kpart[aiokafka]'``). Run
several (same ``--group``) and stop one to watch its partitions move. Prints ``<name> assigned
[p, ...]`` / ``<name> revoked [...]`` per rebalance and ``<name> read partition=P offset=O
key=K`` per record; exits after ``--idle-exit`` seconds without records or assignment changes
(0 = run until interrupted). aiokafka rebalances EAGER only: use ``sticky`` to keep partitions.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener

import strategies
from kpart.client_access import AccessError, connect
from strategies.aiokafka import AiokafkaAssignor, attach


class PrintingListener(ConsumerRebalanceListener):
    """Prints each assignment change and remembers when the last one happened."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.last_change = time.monotonic()

    def _show(self, verb: str, partitions: object) -> None:
        numbers = sorted(tp.partition for tp in partitions)  # type: ignore[attr-defined]
        print(f"{self.name} {verb} {numbers}", flush=True)
        self.last_change = time.monotonic()

    def on_partitions_revoked(self, revoked: object) -> None:
        self._show("revoked", revoked)

    def on_partitions_assigned(self, assigned: object) -> None:
        self._show("assigned", assigned)


async def run(args: argparse.Namespace, security: dict) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=args.bootstrap, group_id=args.group, client_id=args.name,
        auto_offset_reset="earliest", session_timeout_ms=10_000, heartbeat_interval_ms=1_000,
        partition_assignment_strategy=[AiokafkaAssignor(args.strategy)], **security,
    )
    attach(consumer)  # each member sends its real generation (and client_rack, if set)
    listener = PrintingListener(args.name)
    consumer.subscribe([args.topic], listener=listener)
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                listener.last_change = time.monotonic()
                for r in records:
                    key = r.key.decode() if r.key else None
                    print(f"{args.name} read partition={r.partition} offset={r.offset} key={key}", flush=True)
            if args.idle_exit and time.monotonic() - listener.last_change > args.idle_exit:
                break
    finally:
        await consumer.stop()  # leaves the group at once


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="hello_world")
    parser.add_argument("--group", default="hello_world_group")
    parser.add_argument("--strategy", default="sticky", choices=strategies.names())
    parser.add_argument("--name", default="consumer", help="label printed on each line")
    parser.add_argument("--idle-exit", type=float, default=0.0)
    parser.add_argument("--client-config", type=Path, metavar="FILE", help="client security settings")
    args = parser.parse_args()
    security: dict = {}
    if args.client_config is not None:  # SASL / SSL settings, checked before any client is built
        try:
            _, _, security = connect(args.bootstrap, args.client_config, "aiokafka")
        except AccessError as exc:
            parser.exit(2, f"error: {exc}\n")
    try:
        asyncio.run(run(args, security))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
