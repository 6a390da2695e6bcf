"""confluent-kafka: send keyed records to a 6-partition topic and show which partition each key lands on.

    python examples/confluent_partition_producer.py --bootstrap 127.0.0.1:9092 --partitioner murmur2

The same as ``partition_producer.py`` with confluent-kafka (``pip install 'kpart[confluent]'``).
librdkafka takes no Python partitioner, so ``ConfluentRouter`` computes each record's partition
and passes it to ``produce(partition=...)``. ``--native`` instead lets librdkafka route with
``java_compatible(config)`` (``partitioner=murmur2_random``), which agrees with Java producers
too. Prints ``key -> partition`` per delivered record and a per-partition summary.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from confluent_kafka import KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

import partitioning
from kpart.client_access import AccessError, connect
from partitioning.confluent import ConfluentRouter, java_compatible


def ensure_topic(bootstrap: str, topic: str, partitions: int, security: dict) -> int:
    """Create ``topic`` with ``partitions`` partitions unless it exists; return its partition count."""
    admin = AdminClient({"bootstrap.servers": bootstrap, **security})
    if topic not in admin.list_topics(timeout=30).topics:
        try:
            admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    for _ in range(100):
        meta = admin.list_topics(topic, timeout=30).topics[topic]
        if meta.error is None and meta.partitions:
            return len(meta.partitions)
    raise SystemExit(f"topic {topic} has no partitions")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="hello_world")
    parser.add_argument("--partitions", type=int, default=6, help="partitions of a new topic")
    parser.add_argument("--partitioner", default="murmur2", choices=partitioning.names())
    parser.add_argument("--native", action="store_true", help="let librdkafka route (murmur2_random)")
    parser.add_argument("--keys", type=int, default=12, help="distinct keys to send")
    parser.add_argument("--rounds", type=int, default=2, help="records per key")
    parser.add_argument("--client-config", type=Path, metavar="FILE", help="client security settings")
    args = parser.parse_args()
    security: dict = {}
    if args.client_config is not None:  # SASL / SSL settings, checked before any client is built
        try:
            _, _, security = connect(args.bootstrap, args.client_config, "confluent")
        except AccessError as exc:
            parser.exit(2, f"error: {exc}\n")

    count = ensure_topic(args.bootstrap, args.topic, args.partitions, security)
    config = {"bootstrap.servers": args.bootstrap, "acks": "all", **security}
    producer = Producer(java_compatible(config) if args.native else config)
    router = ConfluentRouter(producer, args.partitioner)
    label = "librdkafka murmur2_random" if args.native else args.partitioner
    print(f"topic {args.topic}: {count} partitions; partitioner {label}")
    per_partition: Counter[int] = Counter()

    def delivered(err: object, msg: object) -> None:
        if err is not None:
            raise SystemExit(f"delivery failed: {err}")
        per_partition[msg.partition()] += 1  # type: ignore[attr-defined]
        print(f"{msg.key().decode()} -> partition {msg.partition()}")  # type: ignore[attr-defined]

    produce = producer.produce if args.native else router.produce
    for round_number in range(args.rounds):
        for i in range(args.keys):
            produce(args.topic, value=f"hello world {round_number}".encode(), key=f"key-{i}".encode(),
                    on_delivery=delivered)
            producer.flush(30)  # one record at a time, so the lines come out in order
    print("records per partition: " + ", ".join(f"p{p}={per_partition[p]}" for p in range(count)))


if __name__ == "__main__":
    main()
