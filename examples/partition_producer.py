"""Send keyed records to a 6-partition topic and show which partition each key lands on.

    python examples/partition_producer.py --bootstrap 127.0.0.1:9092 --partitioner murmur2

The topic is created if it does not exist (an existing topic is used as it is). Each line
printed is ``key -> partition``, as acknowledged by the broker; the summary counts records per
partition. Records with the same key always land on the same partition; which partition
depends on the partitioner (``murmur2`` matches the Java client, ``consistent_random`` matches
librdkafka's default, ``default`` is kafka-python's own).
"""

from __future__ import annotations

import argparse
from collections import Counter

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

import partitioning


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> int:
    """Create ``topic`` with ``partitions`` partitions unless it exists; return its partition count."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        try:
            admin.create_topics([NewTopic(topic, partitions, 1)])
        except TopicAlreadyExistsError:
            pass
        described = admin.describe_topics([topic])[0]
        return len(described["partitions"])
    finally:
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="hello_world")
    parser.add_argument("--partitions", type=int, default=6, help="partitions of a new topic")
    parser.add_argument("--partitioner", default="default", choices=partitioning.names())
    parser.add_argument("--keys", type=int, default=12, help="distinct keys to send")
    parser.add_argument("--rounds", type=int, default=2, help="records per key")
    args = parser.parse_args()

    count = ensure_topic(args.bootstrap, args.topic, args.partitions)
    print(f"topic {args.topic}: {count} partitions; partitioner {args.partitioner}")
    producer = KafkaProducer(
        bootstrap_servers=args.bootstrap,
        partitioner=partitioning.create(args.partitioner),
        acks="all",
    )
    per_partition: Counter[int] = Counter()
    try:
        for round_number in range(args.rounds):
            for i in range(args.keys):
                key = f"key-{i}"
                value = f"hello world {round_number}".encode()
                metadata = producer.send(args.topic, key=key.encode(), value=value).get(timeout=30)
                per_partition[metadata.partition] += 1
                print(f"{key} -> partition {metadata.partition}")
    finally:
        producer.close()
    print("records per partition: " + ", ".join(f"p{p}={per_partition[p]}" for p in range(count)))


if __name__ == "__main__":
    main()
