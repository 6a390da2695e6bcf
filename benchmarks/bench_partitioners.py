"""Partitioner speed: per-key murmur2, batch hashing, per-record routing and (with
``--bootstrap``) end-to-end producer throughput, each against a baseline measured in the same run.

    python benchmarks/bench_partitioners.py [--keys 1000000] [--bootstrap HOST:PORT]

Targets: per-key murmur2 >= 20x kafka-python's; batch hashing >= 5 M keys/s; a keyed
partitioner costs <= 2 % of producer throughput vs ``DefaultPartitioner``; ``uniform_sticky``
at least as fast as the default for keyless records.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import timeit
import uuid
from collections.abc import Callable

from kafka.partitioner import DefaultPartitioner, StickyPartitioner
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

import partitioning
from partitioning import hashing


class _Cluster:
    """Just what partitioners read from kafka-python's ClusterMetadata."""

    def __init__(self, topic: str, partitions: int) -> None:
        self._topic, self._parts = topic, set(range(partitions))

    def topics(self) -> set[str]:
        return {self._topic}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self._parts) if topic == self._topic else None

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.partitions_for_topic(topic)

    def leader_for_partition(self, tp: object) -> int:
        return 0


def per_call_ns(fn: Callable[[], object], calls: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` nanoseconds per call of ``fn`` (each timing runs it ``calls`` times)."""
    return min(timeit.repeat(fn, number=calls, repeat=repeat)) / calls * 1e9


def make_keys(n: int, rng: random.Random) -> list[bytes]:
    return [f"user-{rng.randrange(10**9)}".encode() for _ in range(n)]


def bench_per_key(rng: random.Random) -> None:
    keys = make_keys(1000, rng)
    print(f"\n== per-key murmur2 ({len(keys)} keys of ~14 bytes, best of 5) ==")
    print(f"compiled extension in use: {hashing.HAVE_C_EXTENSION}")

    def run(fn: Callable[[bytes], int]) -> Callable[[], None]:
        def loop() -> None:
            for k in keys:
                fn(k)

        return loop

    base = per_call_ns(run(kafka_python_murmur2), 20) / len(keys)
    fast = per_call_ns(run(hashing.murmur2), 2000) / len(keys)
    pure = per_call_ns(run(hashing.murmur2_pure), 20) / len(keys)
    print(f"kafka-python murmur2     {base:9.1f} ns/key   (baseline)")
    print(f"partitioning.murmur2     {fast:9.1f} ns/key   {base / fast:6.1f}x faster")
    print(f"partitioning pure twin   {pure:9.1f} ns/key   {base / pure:6.1f}x faster")


def bench_routing(rng: random.Random) -> None:
    keys = make_keys(1000, rng)
    cluster = _Cluster("t", 12)
    print("\n== per-record partition() call, 12 partitions (keyed unless noted) ==")

    def keyed(p: object) -> Callable[[], None]:
        def loop() -> None:
            for k in keys:
                p.partition("t", k, k, None, b"v", cluster)  # type: ignore[attr-defined]

        return loop

    def keyless(p: object) -> Callable[[], None]:
        def loop() -> None:
            for _ in keys:
                p.partition("t", None, None, None, b"v" * 100, cluster)  # type: ignore[attr-defined]

        return loop

    base = per_call_ns(keyed(DefaultPartitioner()), 50) / len(keys)
    print(f"{'kafka-python DefaultPartitioner':36s} {base:8.0f} ns   (baseline)")
    for name, opts in [("murmur2", {}), ("murmur2_random", {}), ("consistent_random", {}),
                       ("fnv1a", {}), ("murmur3", {}), ("jump", {}),
                       ("field", {"field": lambda k, v: k})]:  # fmt: skip
        ns = per_call_ns(keyed(partitioning.kafka_python.create(name, **opts)), 50) / len(keys)
        print(f"{name:36s} {ns:8.0f} ns   {base / ns:5.2f}x the baseline's speed")
    kbase = per_call_ns(keyless(DefaultPartitioner()), 50) / len(keys)
    print(f"{'keyless: DefaultPartitioner':36s} {kbase:8.0f} ns   (baseline)")
    for label, p in [("keyless: kafka-python StickyPartitioner", StickyPartitioner()),
                     ("keyless: uniform_sticky", partitioning.kafka_python.create("uniform_sticky")),
                     ("keyless: murmur2", partitioning.kafka_python.create("murmur2")),
                     ("keyless: round_robin", partitioning.kafka_python.create("round_robin"))]:  # fmt: skip
        ns = per_call_ns(keyless(p), 50) / len(keys)
        print(f"{label:36s} {ns:8.0f} ns   {kbase / ns:5.2f}x the baseline's speed")


def bench_batch(n: int, rng: random.Random) -> None:
    keys = make_keys(n, rng)
    print(f"\n== batch hashing of {n:,} keys (numpy out, best of 3) ==")
    base_s = min(timeit.repeat(lambda: [kafka_python_murmur2(k) for k in keys[:100_000]],
                               number=1, repeat=3)) * (n / 100_000)  # fmt: skip
    print(f"kafka-python murmur2 loop   {n / base_s / 1e6:8.2f} M keys/s   (baseline)")
    for label, fn in [
        ("hash_many murmur2", lambda: hashing.hash_many(keys)),
        ("hash_many fnv1a", lambda: hashing.hash_many(keys, "fnv1a")),
        ("partitions_many murmur2", lambda: hashing.partitions_many(keys, 12)),
        ("murmur2_numpy (no C ext)", lambda: hashing.murmur2_numpy(keys)),
    ]:
        s = min(timeit.repeat(fn, number=1, repeat=3))
        print(f"{label:27s} {n / s / 1e6:8.2f} M keys/s   {base_s / s:6.1f}x the baseline")


KEYED_NAMES = ["murmur2", "murmur2_random", "consistent_random", "fnv1a_random", "murmur3", "jump"]
KEYLESS_NAMES = ["uniform_sticky", "murmur2", "round_robin", "consistent_random", "random"]


def _throughput(
    bootstrap: str, topic: str, partitioner: object, records: list[tuple[bytes | None, bytes]]
) -> tuple[float, float, float]:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, partitioner=partitioner, linger_ms=5, acks=1)
    attach = getattr(partitioner, "attach", None)
    if attach is not None:
        attach(producer)  # load view for adaptive partitioners
    try:
        producer.send(topic, key=b"warm-up", value=b"x").get(timeout=30)
        start, cpu_start = time.perf_counter(), time.process_time()
        for key, value in records:
            producer.send(topic, key=key, value=value)
        producer.flush()
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        metrics = producer.metrics() or {}
        batch_avg = metrics.get("producer-metrics", {}).get("batch-size-avg", float("nan"))
    finally:
        producer.close()
    return len(records) / elapsed, batch_avg, cpu / len(records) * 1e6


def bench_end_to_end(bootstrap: str, n: int, rounds: int) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    topic = f"bench-partitioners-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 12, 1)])
    admin.close()
    time.sleep(1.0)
    rng = random.Random(1)
    value = os.urandom(100)
    keyed = [(k, value) for k in make_keys(n, rng)]
    keyless = [(None, value) for _ in range(n)]

    def named(name: str, **options: object) -> Callable[[], object]:
        return lambda: partitioning.kafka_python.create(name, **options)

    cases: list[tuple[str, Callable[[], object], list[tuple[bytes | None, bytes]]]] = [
        ("keyed   DefaultPartitioner", DefaultPartitioner, keyed),
        *[(f"keyed   {name}", named(name), keyed) for name in KEYED_NAMES],
        ("keyed   field(key)", named("field", field=lambda k, v: k), keyed),
        ("keyless DefaultPartitioner", DefaultPartitioner, keyless),
        ("keyless StickyPartitioner", StickyPartitioner, keyless),
        *[(f"keyless {name}", named(name), keyless) for name in KEYLESS_NAMES],
        ("keyless uniform_sticky adaptive", named("uniform_sticky", adaptive=True), keyless),
    ]
    results: dict[str, list[tuple[float, float, float]]] = {label: [] for label, _, _ in cases}
    for _ in range(rounds):  # interleaved so drift hits every case alike
        for label, factory, records in cases:
            results[label].append(_throughput(bootstrap, topic, factory(), records))
    print(f"\n== end to end: {n:,} records of 100 B, 12 partitions, linger_ms=5, "
          f"median of {rounds} interleaved rounds; % vs DefaultPartitioner ==")  # fmt: skip
    print("(CPU = producer process CPU time per record, user + system, all its threads:")
    print(" less sensitive than rec/s to other load on the machine)")
    baselines = {"keyed": "keyed   DefaultPartitioner", "keyless": "keyless DefaultPartitioner"}
    for label, runs in results.items():
        rate = statistics.median(r[0] for r in runs)
        batch = statistics.median(r[1] for r in runs)
        cpu = statistics.median(r[2] for r in runs)
        base_runs = results[baselines[label.split()[0]]]
        base_rate = statistics.median(r[0] for r in base_runs)
        base_cpu = statistics.median(r[2] for r in base_runs)
        print(f"{label:32s} {rate:9,.0f} rec/s {(rate / base_rate - 1) * 100:+6.1f} %   "
              f"CPU {cpu:6.1f} us/rec {(cpu / base_cpu - 1) * 100:+6.1f} %   "
              f"avg batch {batch:7,.0f} B")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000, help="keys for batch hashing")
    parser.add_argument("--bootstrap", help="broker for the end-to-end benchmark (skipped if unset)")
    parser.add_argument("--records", type=int, default=20_000, help="records per end-to-end run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved end-to-end rounds")
    args = parser.parse_args(argv)
    rng = random.Random(42)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    bench_per_key(rng)
    bench_batch(args.keys, rng)
    bench_routing(rng)
    if args.bootstrap:
        bench_end_to_end(args.bootstrap, args.records, args.rounds)
    else:
        print("\n(end-to-end producer benchmark skipped: pass --bootstrap HOST:PORT)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
