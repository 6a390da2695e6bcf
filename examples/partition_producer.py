"""Send keyed records to a 6-partition topic and show which partition each key lands on.

    python examples/partition_producer.py --partitioner murmur2

Without ``--bootstrap`` it uses ``$KAFKA_BOOTSTRAP``, else the broker ``kpart broker start``
recorded (as ``kpart broker status`` shows it), else 127.0.0.1:9092; with no broker answering it
says so in one line within seconds. Ctrl-C (or SIGTERM) stops it at once. With
``--client-config FILE`` (SASL PLAIN/SCRAM, SSL; see docs/security.md) every client it builds
uses those settings, and a refused password is one line and exit status 2.

The topic is created if it does not exist (an existing topic is used as it is). Each line
printed is ``key -> partition``, as acknowledged by the broker; the summary counts records per
partition. Records with the same key always land on the same partition; which partition
depends on the partitioner (``murmur2`` matches the Java client, ``consistent_random`` matches
librdkafka's default, ``default`` is kafka-python's own).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections import Counter
from pathlib import Path

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

import partitioning
from kpart.broker import BrokerError
from kpart.client_access import AccessError, connect


def ensure_topic(bootstrap: str, topic: str, partitions: int, security: dict) -> int:
    """Create ``topic`` with ``partitions`` partitions unless it exists; return its partition count."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **security)
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
    parser.add_argument("--bootstrap", help="broker host:port (default: the local broker, see above)")
    parser.add_argument("--topic", default="hello_world")
    parser.add_argument("--partitions", type=int, default=6, help="partitions of a new topic")
    parser.add_argument("--partitioner", default="default", choices=partitioning.names())
    parser.add_argument("--keys", type=int, default=12, help="distinct keys to send")
    parser.add_argument("--rounds", type=int, default=2, help="records per key")
    parser.add_argument("--client-config", type=Path, metavar="FILE", help="client security settings")
    args = parser.parse_args()
    try:
        bootstrap, source, security = connect(args.bootstrap, args.client_config, "kafka-python")
    except BrokerError as exc:
        parser.exit(1, f"error: {exc}\n")
    except AccessError as exc:
        parser.exit(2, f"error: {exc}\n")
    print(f"broker {bootstrap} ({source})")

    count = ensure_topic(bootstrap, args.topic, args.partitions, security)
    print(f"topic {args.topic}: {count} partitions; partitioner {args.partitioner}")
    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        partitioner=partitioning.kafka_python.create(args.partitioner),
        acks="all",
        **security,
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
        producer.close(timeout=2)
    print("records per partition: " + ", ".join(f"p{p}={per_partition[p]}" for p in range(count)))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM ends it like Ctrl-C
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
