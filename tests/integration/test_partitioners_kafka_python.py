"""Every partitioner plugged into a real KafkaProducer: records are read back from the
partition it predicted, none is lost, and sticky/round-robin behave on the live send path."""

from __future__ import annotations

import json
import zlib
from collections import Counter

import mmh3
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

import partitioning
from partitioning.hashing import jump_pure

pytestmark = pytest.mark.integration

PARTITIONS = 6


def fnv1a_reference(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h if h < 0x80000000 else 0x100000000 - h


def java(data: bytes) -> int:
    return (kafka_python_murmur2(data) & 0x7FFFFFFF) % PARTITIONS


# Independent predictions of the keyed mapping (not computed by the code under test).
PREDICT = {
    "murmur2": java,
    "murmur2_random": java,
    "default": java,
    "consistent": lambda k: zlib.crc32(k) % PARTITIONS,
    "consistent_random": lambda k: zlib.crc32(k) % PARTITIONS,
    "fnv1a": lambda k: fnv1a_reference(k) % PARTITIONS,
    "fnv1a_random": lambda k: fnv1a_reference(k) % PARTITIONS,
    "murmur3": lambda k: mmh3.hash(k, 0, signed=False) % PARTITIONS,
    "jump": lambda k: jump_pure(mmh3.hash64(k, 0, signed=False)[0], PARTITIONS),
}
KEYLESS_ONLY = ["random", "round_robin", "uniform_sticky"]


def read_back(bootstrap: str, topic: str, expected: int) -> dict[bytes, tuple[int, bytes | None]]:
    """value -> (partition, key) of every record of ``topic``."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    seen: dict[bytes, tuple[int, bytes | None]] = {}
    try:
        for _ in range(100):
            for tp, records in consumer.poll(timeout_ms=500).items():
                for r in records:
                    seen[r.value] = (tp.partition, r.key)
            if len(seen) >= expected:
                break
    finally:
        consumer.close()
    return seen


def send_all(producer: KafkaProducer, topic: str, records: list[tuple[bytes | None, bytes]]):
    futures = [producer.send(topic, key=k, value=v) for k, v in records]
    producer.flush()
    return [f.get(timeout=30).partition for f in futures]


@pytest.mark.parametrize("name", sorted(PREDICT) + KEYLESS_ONLY)
def test_records_land_on_the_partition_the_partitioner_chose(
    name: str, kafka_bootstrap: str, make_topic
) -> None:
    topic = make_topic(PARTITIONS)
    keyed = name in PREDICT
    records = [(f"key-{i % 40}".encode() if keyed and i % 5 else None, f"v{i}".encode()) for i in range(300)]
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap, partitioner=partitioning.kafka_python.create(name), linger_ms=5
    )
    try:
        chosen = send_all(producer, topic, records)
    finally:
        producer.close()
    for (key, _), partition in zip(records, chosen, strict=True):
        if key is not None:
            assert partition == PREDICT[name](key), f"{name}: key {key!r}"
    landed = read_back(kafka_bootstrap, topic, len(records))
    assert len(landed) == len(records), "records lost"
    for (key, value), partition in zip(records, chosen, strict=True):
        assert landed[value] == (partition, key)


def test_field_partitioner_routes_json_records_by_field(kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(PARTITIONS)
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        partitioner=partitioning.kafka_python.create("field", field="user"),
        value_serializer=lambda v: json.dumps(v).encode(),
    )
    records = [{"user": f"u{i % 17}", "n": i} for i in range(120)]
    try:
        futures = [producer.send(topic, value=r) for r in records]
        producer.flush()
        chosen = [f.get(timeout=30).partition for f in futures]
    finally:
        producer.close()
    assert chosen == [java(r["user"].encode()) for r in records]
    landed = read_back(kafka_bootstrap, topic, len(records))
    for r, partition in zip(records, chosen, strict=True):
        assert landed[json.dumps(r).encode()][0] == partition


def test_missing_field_fails_the_send_and_routes_nothing(kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(PARTITIONS)
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        partitioner=partitioning.kafka_python.create("field", field="user"),
        value_serializer=lambda v: json.dumps(v).encode(),
    )
    try:
        with pytest.raises(partitioning.PartitioningError, match="value field 'user'"):
            producer.send(topic, value={"other": 1})
        producer.send(topic, value={"user": "ok"}).get(timeout=30)
    finally:
        producer.close()
    assert len(read_back(kafka_bootstrap, topic, 1)) == 1


def test_uniform_sticky_switches_only_after_batch_size_on_a_live_producer(
    kafka_bootstrap: str, make_topic
) -> None:
    topic = make_topic(PARTITIONS)
    batch_size = 4096
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        partitioner=partitioning.kafka_python.create("uniform_sticky", batch_size=batch_size),
        batch_size=batch_size,
        linger_ms=0,
    )
    records = [(None, (f"{i:05d}" + "x" * 95).encode()) for i in range(400)]
    try:
        chosen = [producer.send(topic, value=v).get(timeout=30).partition for _, v in records]
    finally:
        producer.close()
    changes = sum(a != b for a, b in zip(chosen, chosen[1:], strict=False))
    total = sum(len(v) for _, v in records)
    assert changes <= total // batch_size  # kafka-python's own sticky would switch per batch
    assert len(read_back(kafka_bootstrap, topic, len(records))) == len(records)


def test_round_robin_is_even_on_a_live_producer(kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(PARTITIONS)
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap, partitioner=partitioning.kafka_python.create("round_robin")
    )
    try:
        chosen = send_all(producer, topic, [(None, f"v{i}".encode()) for i in range(123)])
    finally:
        producer.close()
    counts = Counter(chosen)
    assert set(counts) == set(range(PARTITIONS))
    assert max(counts.values()) - min(counts.values()) <= 1


def test_keyed_records_follow_a_partition_count_change_and_none_is_lost(
    kafka_bootstrap: str, make_topic
) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import NewPartitions

    topic = make_topic(3)
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        partitioner=partitioning.kafka_python.create("murmur2"),
        metadata_max_age_ms=200,
    )
    keys = [f"key-{i}".encode() for i in range(60)]
    try:
        before = [producer.send(topic, key=k, value=b"a" + k).get(timeout=30).partition for k in keys]
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        try:
            admin.create_partitions({topic: NewPartitions(total_count=PARTITIONS)})
        finally:
            admin.close()
        for _ in range(100):  # wait until the producer's metadata shows the new partitions
            if len(producer.partitions_for(topic)) == PARTITIONS:
                break
            producer.send(topic, key=b"tick", value=b"tick").get(timeout=30)
        after = [producer.send(topic, key=k, value=b"b" + k).get(timeout=30).partition for k in keys]
    finally:
        producer.close()
    assert before == [(kafka_python_murmur2(k) & 0x7FFFFFFF) % 3 for k in keys]
    assert after == [java(k) for k in keys]
    landed = read_back(kafka_bootstrap, topic, 2 * len(keys))
    for k, b, a in zip(keys, before, after, strict=True):
        assert landed[b"a" + k][0] == b and landed[b"b" + k][0] == a


def test_adaptive_sticky_reads_queue_sizes_from_a_live_producer(kafka_bootstrap: str, make_topic) -> None:
    from partitioning.kafka_python import accumulator_load

    topic = make_topic(PARTITIONS)
    p = partitioning.kafka_python.create("uniform_sticky", adaptive=True, batch_size=2048)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, partitioner=p, batch_size=2048, linger_ms=50)
    p.attach(producer)
    try:
        futures = [producer.send(topic, value=b"%04d" % i + b"x" * 196) for i in range(300)]
        queued = accumulator_load(producer)(topic)
        assert isinstance(queued, dict), "kafka-python no longer exposes its accumulator queues"
        assert sum(queued.values()) >= 1  # linger_ms holds batches: the view sees them
        producer.flush()
        chosen = [f.get(timeout=30).partition for f in futures]
    finally:
        producer.close()
    landed = read_back(kafka_bootstrap, topic, len(chosen))
    assert len(landed) == len(chosen) == 300
    assert len(set(chosen)) > 1  # 60 KB over 2 KB batches: it moved on


@pytest.mark.parametrize("name", ["murmur2", "uniform_sticky", "round_robin"])
def test_several_threads_share_one_partitioner(name: str, kafka_bootstrap: str, make_topic) -> None:
    import threading

    topic = make_topic(PARTITIONS)
    producer = KafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        partitioner=partitioning.kafka_python.create(name),
        batch_size=1024,
        linger_ms=1,
    )
    sent: dict[bytes, tuple[bytes | None, object]] = {}
    lock = threading.Lock()

    def worker(t: int) -> None:
        for i in range(150):
            key = f"k{i % 30}".encode() if i % 2 else None
            value = f"t{t}-{i}".encode() + b"x" * 60
            future = producer.send(topic, key=key, value=value)
            with lock:
                sent[value] = (key, future)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        producer.flush()
        chosen = {v: (k, f.get(timeout=30).partition) for v, (k, f) in sent.items()}
    finally:
        producer.close()
    landed = read_back(kafka_bootstrap, topic, len(chosen))
    assert len(landed) == len(chosen) == 600
    for value, (key, partition) in chosen.items():
        assert landed[value] == (partition, key)
        if key is not None and name == "murmur2":
            assert partition == java(key)
    if name == "round_robin":
        counts = Counter(p for _, p in chosen.values())
        assert max(counts.values()) - min(counts.values()) <= 1


def test_unserialized_str_key_is_refused_before_routing(kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(PARTITIONS)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap,
                             partitioner=partitioning.kafka_python.create("murmur2"))
    try:
        with pytest.raises(TypeError, match="serialized key"):
            producer.send(topic, key="not-bytes", value=b"refused")
        producer.send(topic, key=b"bytes", value=b"accepted").get(timeout=30)
    finally:
        producer.close()
    landed = read_back(kafka_bootstrap, topic, 1)
    assert landed == {b"accepted": (java(b"bytes"), b"bytes")}
