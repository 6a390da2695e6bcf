"""Per-record partition cost of each client adapter next to that client's own default, same run.

    python benchmarks/bench_adapters.py [--records 20000] [--bootstrap HOST:PORT]

Offline (always): nanoseconds per record to choose a partition for a keyed record of a
6-partition topic, as each client calls its partitioner:

- kafka-python: ``DefaultPartitioner().partition(topic, key, ...)`` vs
  ``partitioning.kafka_python.create("murmur2")``;
- aiokafka: ``aiokafka.partitioner.DefaultPartitioner`` vs ``partitioning.aiokafka.create("murmur2")``,
  both given the lists aiokafka builds per record;
- confluent-kafka: the ``confluent_kafka.murmur2(key, n)`` helper vs ``ConfluentRouter.route``
  (metadata cached).

With ``--bootstrap``: records/s through a real producer, each client's own partitioner vs ours
(interleaved runs, best of 3 each).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import timeit
import uuid
from collections.abc import Callable
from types import SimpleNamespace

import confluent_kafka
from aiokafka.partitioner import DefaultPartitioner as AiokafkaDefault
from bench_partitioners import _Cluster as KafkaPythonCluster  # what kafka-python partitioners read
from kafka.partitioner import DefaultPartitioner as KafkaPythonDefault

import partitioning
import partitioning.aiokafka
from partitioning.confluent import ConfluentRouter

PARTITIONS = 6


def per_record_ns(fn: Callable[[bytes], object], keys: list[bytes], repeat: int = 5) -> float:
    def loop() -> None:
        for k in keys:
            fn(k)

    return min(timeit.repeat(loop, number=3, repeat=repeat)) / (3 * len(keys)) * 1e9


class _ConfluentMetadata:
    def list_topics(self, topic: str, timeout: float) -> object:
        parts = {p: SimpleNamespace(leader=1) for p in range(PARTITIONS)}
        return SimpleNamespace(topics={topic: SimpleNamespace(error=None, partitions=parts)})


def row(label: str, ns: float, base: float) -> None:
    print(f"  {label:44s} {ns:8.0f} ns/record   {ns / base:5.2f}x the client's default")


def offline(keys: list[bytes]) -> None:
    print(f"== per-record partition choice, keyed, {PARTITIONS} partitions, {len(keys)} keys (best of 5) ==")
    cluster = KafkaPythonCluster("t", PARTITIONS)
    parts = set(range(PARTITIONS))
    kp_default = KafkaPythonDefault()
    base = per_record_ns(lambda k: kp_default.partition("t", k, k, None, None, cluster), keys)
    ours = partitioning.kafka_python.create("murmur2")
    print("kafka-python")
    row("DefaultPartitioner (baseline)", base, base)
    row('partitioning.kafka_python.create("murmur2")', per_record_ns(
        lambda k: ours.partition("t", k, k, None, None, cluster), keys), base)

    aio_default = AiokafkaDefault()
    aio_ours = partitioning.aiokafka.create("murmur2")
    base = per_record_ns(lambda k: aio_default(k, list(parts), list(parts)), keys)
    print("aiokafka")
    row("aiokafka DefaultPartitioner (baseline)", base, base)
    row('partitioning.aiokafka.create("murmur2")', per_record_ns(
        lambda k: aio_ours(k, list(parts), list(parts)), keys), base)

    router = ConfluentRouter(_ConfluentMetadata(), "murmur2")
    base = per_record_ns(lambda k: confluent_kafka.murmur2(k, PARTITIONS), keys)
    print("confluent-kafka")
    row("confluent_kafka.murmur2 helper (baseline)", base, base)
    row('ConfluentRouter(producer, "murmur2").route', per_record_ns(
        lambda k: router.route("t", k, b"v"), keys), base)
    keyless = ConfluentRouter(_ConfluentMetadata(), "uniform_sticky")
    row("ConfluentRouter uniform_sticky, keyless", per_record_ns(
        lambda k: keyless.route("t", None, k), keys), base)


def live(bootstrap: str, keys: list[bytes]) -> None:
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"bench-adapters-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    print(f"\n== end to end, {len(keys)} keyed records of 100 bytes to {topic} (records/s) ==")
    value = b"x" * 100

    def confluent(use_router: bool) -> float:
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        router = ConfluentRouter(producer, "murmur2")
        send = router.produce if use_router else producer.produce
        send(topic, value, keys[0])
        producer.flush(30)
        start = timeit.default_timer()
        for i, k in enumerate(keys):
            send(topic, value, k)
            if i % 5000 == 0:
                producer.poll(0)
        producer.flush(60)
        return len(keys) / (timeit.default_timer() - start)

    def aiokafka(ours: bool) -> float:
        from aiokafka import AIOKafkaProducer

        async def run() -> float:
            kwargs = {"partitioner": partitioning.aiokafka.create("murmur2")} if ours else {}
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **kwargs)
            await producer.start()
            try:
                await producer.send_and_wait(topic, value, key=keys[0])
                start = timeit.default_timer()
                futures = [await producer.send(topic, value, key=k) for k in keys]
                await asyncio.gather(*futures)
                return len(keys) / (timeit.default_timer() - start)
            finally:
                await producer.stop()

        return asyncio.run(run())

    for label, run in [("confluent-kafka", confluent), ("aiokafka", aiokafka)]:
        rounds = [(run(False), run(True)) for _ in range(3)]  # interleaved, best of 3 each
        base, ours = max(b for b, _ in rounds), max(o for _, o in rounds)
        print(f"  {label:16s} own partitioner {base:10,.0f}/s   ours {ours:10,.0f}/s   "
              f"ratio {ours / base:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--bootstrap")
    args = parser.parse_args()
    rng = random.Random(42)
    keys = [f"user-{rng.randrange(10**9)}".encode() for _ in range(args.records)]
    offline(keys)
    if args.bootstrap:
        live(args.bootstrap, keys)


if __name__ == "__main__":
    main()
