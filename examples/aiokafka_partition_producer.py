"""aiokafka: send keyed records to a 6-partition topic and show which partition each key lands on.

    python examples/aiokafka_partition_producer.py --bootstrap 127.0.0.1:9092 --partitioner murmur2

The same as ``partition_producer.py`` with aiokafka (``pip install 'kpart[aiokafka]'``): our
partitioner goes in ``AIOKafkaProducer(partitioner=...)``; ``murmur2`` puts every key where the
Java client puts it, in every process. Prints ``key -> partition`` per acknowledged record and a
per-partition summary. The topic is created if it does not exist. ``--client-config FILE``:
SASL / SSL settings (docs/security.md).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

import partitioning
import partitioning.aiokafka
from kpart.client_access import AccessError, connect


async def ensure_topic(bootstrap: str, topic: str, partitions: int, security: dict) -> int:
    """Create ``topic`` with ``partitions`` partitions unless it exists; return its partition count."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security)
    await admin.start()
    try:
        try:
            await admin.create_topics([NewTopic(topic, partitions, 1)])
        except TopicAlreadyExistsError:
            pass
    finally:
        await admin.close()
    return partitions


async def run(args: argparse.Namespace, security: dict) -> None:
    await ensure_topic(args.bootstrap, args.topic, args.partitions, security)
    producer = AIOKafkaProducer(bootstrap_servers=args.bootstrap, acks="all",
                                partitioner=partitioning.aiokafka.create(args.partitioner), **security)
    await producer.start()
    per_partition: Counter[int] = Counter()
    try:
        count = len(await producer.partitions_for(args.topic))
        print(f"topic {args.topic}: {count} partitions; partitioner {args.partitioner}")
        for round_number in range(args.rounds):
            for i in range(args.keys):
                key = f"key-{i}"
                metadata = await producer.send_and_wait(
                    args.topic, f"hello world {round_number}".encode(), key=key.encode())
                per_partition[metadata.partition] += 1
                print(f"{key} -> partition {metadata.partition}")
    finally:
        await producer.stop()
    print("records per partition: " + ", ".join(f"p{p}={per_partition[p]}" for p in range(count)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="hello_world")
    parser.add_argument("--partitions", type=int, default=6, help="partitions of a new topic")
    parser.add_argument("--partitioner", default="murmur2", choices=partitioning.names())
    parser.add_argument("--keys", type=int, default=12, help="distinct keys to send")
    parser.add_argument("--rounds", type=int, default=2, help="records per key")
    parser.add_argument("--client-config", type=Path, metavar="FILE", help="client security settings")
    args = parser.parse_args()
    security: dict = {}
    if args.client_config is not None:  # SASL / SSL settings, checked before any client is built
        try:
            _, _, security = connect(args.bootstrap, args.client_config, "aiokafka")
        except AccessError as exc:
            parser.exit(2, f"error: {exc}\n")
    asyncio.run(run(args, security))


if __name__ == "__main__":
    main()
