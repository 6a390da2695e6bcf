"""Keyless records routed uniform-sticky through confluent-kafka and aiokafka: every partition
gets records (none starves), and records stick in runs instead of scattering one by one."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from confluent_kafka import Producer

from partitioning import registry
from partitioning.aiokafka import AiokafkaRouter
from partitioning.confluent import ConfluentRouter
from tests.clients.routing import read_back

pytestmark = pytest.mark.integration

PARTITIONS = 6
RECORDS = 3000
VALUE_BYTES = 100
BATCH = 2000  # bytes: about 20 records per sticky run


def value(i: int) -> bytes:
    return f"{i:08d}".encode().ljust(VALUE_BYTES, b".")


def runs(partition_of_record: list[int]) -> int:
    return 1 + sum(a != b for a, b in zip(partition_of_record, partition_of_record[1:], strict=False))


def check_sticky_and_fair(seen: dict[bytes, int]) -> None:
    order = [seen[value(i)] for i in range(RECORDS)]
    counts = Counter(order)
    assert len(counts) == PARTITIONS, f"starved partitions: {sorted(set(range(PARTITIONS)) - set(counts))}"
    assert min(counts.values()) >= RECORDS // PARTITIONS // 4, counts
    n_runs = runs(order)
    assert n_runs <= RECORDS // 5, f"{n_runs} runs for {RECORDS} records: not sticky"
    # a partition is left only once batch_size bytes went to it (a new pick may repeat it)
    shortest = min(len(g) for g in _groups(order)[:-1])
    assert shortest >= BATCH // VALUE_BYTES, f"a run of {shortest} records: switched before batch_size"


def _groups(order: list[int]) -> list[list[int]]:
    out: list[list[int]] = [[order[0]]]
    for p in order[1:]:
        if p == out[-1][-1]:
            out[-1].append(p)
        else:
            out.append([p])
    return out


def test_keyless_uniform_sticky_through_confluent_switches_on_delivery_reports(
        kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(PARTITIONS)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 1})
    router = ConfluentRouter(producer, registry.create("uniform_sticky", batch_size=BATCH, seed=7))
    for i in range(RECORDS):
        router.produce(topic, value=value(i))
        producer.poll(0)  # delivery reports drive the switches
    assert producer.flush(60) == 0
    seen = read_back(kafka_bootstrap, topic, PARTITIONS, RECORDS)
    check_sticky_and_fair(seen)


def test_keyless_murmur2_through_aiokafka_router_never_starves(kafka_bootstrap: str, make_topic) -> None:
    from aiokafka import AIOKafkaProducer

    topic = make_topic(PARTITIONS)
    router = AiokafkaRouter(registry.create("murmur2", batch_size=BATCH, seed=11))

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=1)
        await producer.start()
        try:
            futures = [await router.send(producer, topic, value(i)) for i in range(RECORDS)]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    asyncio.run(run())
    seen = read_back(kafka_bootstrap, topic, PARTITIONS, RECORDS)
    check_sticky_and_fair(seen)
