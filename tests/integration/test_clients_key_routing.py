"""10,000 keys through every client land where the reference puts them.

Reference: the Java client's published murmur2 vectors (``UtilsTest``, kafkajs) for murmur2, and
librdkafka's own ``partitioner`` setting (run by confluent-kafka on the same keys, same topic)
for the librdkafka-named partitioners.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from kafka import KafkaProducer

import partitioning
import partitioning.aiokafka as aiokafka_adapter
from partitioning.confluent import ConfluentRouter, java_compatible
from tests.clients.routing import produce_aiokafka, produce_confluent, read_back
from tests.partitioning.test_hashing import JAVA_MURMUR2, KAFKAJS_MURMUR2

pytestmark = pytest.mark.integration

PARTITIONS = 6
VECTORS = JAVA_MURMUR2 + KAFKAJS_MURMUR2
KEYS = [k for k, _ in VECTORS] + [b""] + [b"key-%d" % i for i in range(10_000 - len(VECTORS) - 1)]


def records(way: str) -> list[tuple[bytes, bytes]]:
    return [(key, f"{way}|{i}".encode()) for i, key in enumerate(KEYS)]


def landed_by_way(seen: dict[bytes, int]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(lambda: [-1] * len(KEYS))
    for value, partition in seen.items():
        way, _, i = value.decode().partition("|")
        out[way][int(i)] = partition
    return out


def test_murmur2_through_every_client_agrees_with_java_vectors(kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(PARTITIONS)
    # kafka-python with our murmur2
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=5,
                             partitioner=partitioning.kafka_python.create("murmur2"))
    for key, value in records("kafka-python"):
        producer.send(topic, value, key=key)
    producer.flush(60)
    producer.close()
    # librdkafka's own murmur2_random, set the one-line way
    produce_confluent(kafka_bootstrap, topic, records("librdkafka"), java_compatible({}))
    # librdkafka routed by our murmur2
    produce_confluent(kafka_bootstrap, topic, records("confluent-router"),
                      send=lambda p: ConfluentRouter(p, "murmur2").produce)
    # aiokafka with our murmur2
    produce_aiokafka(kafka_bootstrap, topic, records("aiokafka"),
                     partitioner=aiokafka_adapter.create("murmur2"))

    landed = landed_by_way(read_back(kafka_bootstrap, topic, PARTITIONS, 4 * len(KEYS)))
    reference = landed["librdkafka"]
    for i, (key, signed) in enumerate(VECTORS):  # the Java vectors decide these keys
        assert reference[i] == (signed & 0x7FFFFFFF) % PARTITIONS, key
    for way in ("kafka-python", "confluent-router", "aiokafka"):
        mismatches = [KEYS[i] for i, p in enumerate(landed[way]) if p != reference[i]]
        assert not mismatches, (
            f"{way}: {len(mismatches)} keys off librdkafka murmur2_random, e.g. {mismatches[:3]}")
    assert len(Counter(reference)) == PARTITIONS


LIBRDKAFKA_NAMES = ["consistent", "consistent_random", "murmur2_random", "fnv1a", "fnv1a_random"]


@pytest.mark.parametrize("name", LIBRDKAFKA_NAMES)
def test_librdkafka_named_partitioners_agree_with_librdkafka(
        name: str, kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(PARTITIONS)
    produce_confluent(kafka_bootstrap, topic, records("librdkafka"), {"partitioner": name})
    produce_confluent(kafka_bootstrap, topic, records("confluent-router"),
                      send=lambda p: ConfluentRouter(p, name).produce)
    produce_aiokafka(kafka_bootstrap, topic, records("aiokafka"), partitioner=aiokafka_adapter.create(name))
    landed = landed_by_way(read_back(kafka_bootstrap, topic, PARTITIONS, 3 * len(KEYS)))
    # librdkafka's *_random partitioners send empty keys to a random partition: compare the rest
    random_empty = name in ("consistent_random",)
    for way in ("confluent-router", "aiokafka"):
        mismatches = [KEYS[i] for i, p in enumerate(landed[way])
                      if p != landed["librdkafka"][i] and not (random_empty and KEYS[i] == b"")]
        assert not mismatches, f"{way} {name}: {len(mismatches)} keys off librdkafka, e.g. {mismatches[:3]}"
