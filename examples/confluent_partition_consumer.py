"""confluent-kafka: a consumer in a group that prints its assignment on every rebalance and what it reads.

    python examples/confluent_partition_consumer.py --bootstrap 127.0.0.1:9092 --strategy cooperative-sticky

The same as ``partition_consumer.py`` with confluent-kafka (``pip install 'kpart[confluent]'``).
librdkafka runs its own assignors (it takes no Python one): ``range``, ``roundrobin`` and
``cooperative-sticky``, under the same protocol names as ours, so these consumers can share a
group with kafka-python or aiokafka members using our assignors of that name. Prints
``<name> assigned [...]`` / ``<name> revoked [...]`` per rebalance and ``<name> read
partition=P offset=O key=K`` per record; exits after ``--idle-exit`` idle seconds (0 = never).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from confluent_kafka import Consumer

from kpart.client_access import AccessError, connect

LIBRDKAFKA_ASSIGNORS = ["range", "roundrobin", "cooperative-sticky"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="hello_world")
    parser.add_argument("--group", default="hello_world_group")
    parser.add_argument("--strategy", default="range", choices=LIBRDKAFKA_ASSIGNORS)
    parser.add_argument("--name", default="consumer", help="label printed on each line")
    parser.add_argument("--idle-exit", type=float, default=0.0)
    parser.add_argument("--client-config", type=Path, metavar="FILE", help="client security settings")
    args = parser.parse_args()
    security: dict = {}
    if args.client_config is not None:  # SASL / SSL settings, checked before any client is built
        try:
            _, _, security = connect(args.bootstrap, args.client_config, "confluent")
        except AccessError as exc:
            parser.exit(2, f"error: {exc}\n")

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap, "group.id": args.group, "client.id": args.name,
        "auto.offset.reset": "earliest", "partition.assignment.strategy": args.strategy,
        "session.timeout.ms": 10_000, "heartbeat.interval.ms": 1_000, **security,
    })
    last_change = time.monotonic()

    def show(verb: str, partitions: list) -> None:
        nonlocal last_change
        print(f"{args.name} {verb} {sorted(tp.partition for tp in partitions)}", flush=True)
        last_change = time.monotonic()

    consumer.subscribe([args.topic], on_assign=lambda c, ps: show("assigned", ps),
                       on_revoke=lambda c, ps: show("revoked", ps))
    try:
        while True:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                last_change = time.monotonic()
                key = msg.key().decode() if msg.key() else None
                print(f"{args.name} read partition={msg.partition()} offset={msg.offset()} key={key}",
                      flush=True)
            if args.idle_exit and time.monotonic() - last_change > args.idle_exit:
                break
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()  # leaves the group at once


if __name__ == "__main__":
    main()
