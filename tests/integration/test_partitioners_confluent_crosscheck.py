"""The same keys produced through confluent-kafka (librdkafka) and predicted by our matching
partitioner land on the same partitions of a real topic."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer
from kafka import KafkaConsumer, TopicPartition

import partitioning
from partitioning import PartitionView

pytestmark = pytest.mark.integration

PARTITIONS = 7
KEYS = [f"user-{i}".encode() for i in range(200)] + [b"kafka", b"1234", bytes(range(40))]


def produce_with_librdkafka(bootstrap: str, topic: str, librdkafka_partitioner: str, keys):
    producer = Producer(
        {"bootstrap.servers": bootstrap, "partitioner": librdkafka_partitioner, "linger.ms": 5}
    )
    errors: list[str] = []
    for i, key in enumerate(keys):
        producer.produce(
            topic,
            value=f"{i}".encode(),
            key=key,
            on_delivery=lambda err, msg: errors.append(str(err)) if err else None,
        )
    assert producer.flush(30) == 0
    assert not errors


def partitions_read_back(bootstrap: str, topic: str, expected: int) -> dict[int, int]:
    """record index (its value) -> partition it was read from."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    seen: dict[int, int] = {}
    try:
        for _ in range(100):
            for tp, records in consumer.poll(timeout_ms=500).items():
                for r in records:
                    seen[int(r.value)] = tp.partition
            if len(seen) >= expected:
                break
    finally:
        consumer.close()
    return seen


@pytest.mark.parametrize(
    ("ours", "theirs", "extra_keys"),
    [
        ("murmur2_random", "murmur2_random", [b""]),  # empty key hashed
        ("murmur2", "murmur2", []),
        ("consistent_random", "consistent_random", []),
        ("consistent", "consistent", [b"", None]),  # null and empty hash to crc32 0
        ("fnv1a_random", "fnv1a_random", [b""]),
        ("fnv1a", "fnv1a", [b"", None]),  # null hashed like empty
    ],
)
def test_same_keys_land_on_the_same_partitions_as_librdkafka(
    ours: str, theirs: str, extra_keys: list, kafka_bootstrap: str, make_topic
) -> None:
    topic = make_topic(PARTITIONS)
    keys = KEYS + extra_keys
    produce_with_librdkafka(kafka_bootstrap, topic, theirs, keys)
    landed = partitions_read_back(kafka_bootstrap, topic, len(keys))
    assert len(landed) == len(keys)
    core = partitioning.registry.create(ours)
    view = PartitionView(topic, range(PARTITIONS))
    mismatches = [
        (key, landed[i], core.partition(key, None, view))
        for i, key in enumerate(keys)
        if core.partition(key, None, view) != landed[i]
    ]
    assert not mismatches, f"{ours} vs librdkafka {theirs}: {mismatches[:5]}"
