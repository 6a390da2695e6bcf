"""``round_robin``: records (keys ignored) dealt to partitions in turn.

Compatibility: Java's ``RoundRobinPartitioner`` -- a per-topic counter over the available
partitions (all partitions when none is available) -- without its KAFKA-16283 defect: when the
client re-routes a record because a new batch is starting (``on_new_batch``), the re-routed
record keeps its turn instead of consuming a second one, so every partition is used and the
per-partition counts differ by at most one while availability is stable.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from partitioning.core import PartitionView


class RoundRobinPartitioner:
    """Even dealing over available partitions; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, int] = defaultdict(int)
        self._replay: dict[str, list[int]] = defaultdict(list)

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        candidates = view.available_or_all()
        with self._lock:
            replay = self._replay.get(view.topic)
            while replay:
                partition = replay.pop()
                if partition in candidates:
                    return partition
            turn = self._counters[view.topic]
            self._counters[view.topic] = turn + 1
        return candidates[turn % len(candidates)]

    def on_new_batch(self, view: PartitionView, prev_partition: int) -> None:
        """The record just routed to ``prev_partition`` will be routed again: give it the same
        turn."""
        with self._lock:
            self._replay[view.topic].append(prev_partition)
