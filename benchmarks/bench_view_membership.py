"""Per-record cost of checking a partitioner's answer, as the topic's partition count grows.

    python benchmarks/bench_view_membership.py

Every adapter checks that the partition a core partitioner returned is one of the topic's
(``partitioning.core.routed``). That check was ``p in view.all`` on a tuple (linear in the
partition count); it is ``view.has(p)`` on a set built once per view. Printed per partition
count: both checks for the highest partition (the tuple's worst case) and their ratio, and a
whole ``KafkaPythonPartitioner.partition`` call with a stand-in for kafka-python's cluster
metadata (which itself copies the topic's partition set on every call, as kafka-python does).
"""

from __future__ import annotations

import timeit

import partitioning
from partitioning import PartitionView


class _Cluster:
    """What the adapter reads from kafka-python's ``ClusterMetadata``; like kafka-python's
    ``partitions_for_topic`` it returns a fresh set on every call."""

    def __init__(self, topic: str, partitions: int) -> None:
        self._topic, self._parts = topic, set(range(partitions))

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self._parts) if topic == self._topic else None


def _per_call_us(stmt: object, number: int) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6  # type: ignore[arg-type]


def _row(n: int) -> str:
    view = PartitionView("t", range(n))
    last = n - 1
    view.has(last)  # the set is built once per view, as in the adapters
    tuple_us = _per_call_us(lambda: last in view.all, max(200, 2_000_000 // n))
    set_us = _per_call_us(lambda: view.has(last), 200_000)
    adapter = partitioning.kafka_python.create("murmur2")
    cluster = _Cluster("t", n)
    adapter_us = _per_call_us(lambda: adapter.partition("t", b"k", b"key-1", None, None, cluster),
                              max(100, 200_000 // n))
    return f"{n:>10,} {tuple_us:>14.3f} {set_us:>12.3f} {tuple_us / set_us:>7.1f} {adapter_us:>18.2f}"


def main() -> None:
    print(f"{'partitions':>10} {'p in all (µs)':>14} {'has(p) (µs)':>12} {'ratio':>7}"
          f" {'adapter call (µs)':>18}")
    for n in (6, 1_000, 10_000, 100_000):
        print(_row(n))

if __name__ == "__main__":
    main()
