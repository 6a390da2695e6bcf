"""Produce the same records through every client and read back where each landed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from confluent_kafka import Consumer, Producer, TopicPartition

Record = tuple[bytes | None, bytes]  # (key, value)


def produce_confluent(bootstrap: str, topic: str, records: Iterable[Record], config: dict | None = None,
                      send: Callable[..., object] | None = None) -> None:
    """librdkafka: ``config`` for its own partitioner, or ``send(producer)`` returning a
    ``produce``-like callable (a router)."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, **(config or {})})
    errors: list[str] = []
    produce = send(producer) if send else producer.produce

    def report(err: object, msg: object) -> None:
        if err is not None:
            errors.append(str(err))

    for i, (key, value) in enumerate(records):
        produce(topic, value=value, key=key, on_delivery=report)
        if i % 1000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0, "undelivered records"
    assert not errors, errors[:3]


def produce_aiokafka(bootstrap: str, topic: str, records: Iterable[Record],
                     **producer_kwargs: object) -> None:
    from aiokafka import AIOKafkaProducer

    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **producer_kwargs)
        await producer.start()
        try:
            futures = [await producer.send(topic, value, key=key) for key, value in records]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    asyncio.run(run())


def read_back(bootstrap: str, topic: str, partitions: int, expected: int,
              timeout_s: float = 60.0) -> dict[bytes, int]:
    """value -> partition, for every record of ``topic`` (values must be unique)."""
    import time

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"read-{topic}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    seen: dict[bytes, int] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(seen) < expected and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=5000, timeout=0.5):
                if msg.error() is None:
                    seen[msg.value()] = msg.partition()
    finally:
        consumer.close()
    assert len(seen) == expected, f"read back {len(seen)} of {expected} records of {topic}"
    return seen
