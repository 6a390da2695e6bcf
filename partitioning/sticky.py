"""Uniform sticky partitioning (KIP-794), optionally adaptive: the Java 3.3+ keyless behaviour.

Matches the Java client's built-in partitioner for keyless records: records stick to one
partition until at least ``batch_size`` bytes went to it **and** the client reports that a new
batch is starting (``on_new_batch``), and always switch once ``2 * batch_size`` bytes went to
it. The next partition is drawn uniformly from the available partitions (all when none is
available); with ``adaptive=True`` and a load view it is drawn with weight
``max_queue + 1 - queue`` (queue = batches waiting for that partition), like Java's adaptive
partitioning. Partitions whose leader is unknown are never chosen while another is available.

Bytes are counted as ``len(key) + len(value)`` of the serialized record (the Java client counts
encoded record bytes, so its switch points differ by the per-record overhead).

:class:`UniformStickyPartitioner` (name ``uniform_sticky``) applies this to *every* record and
ignores keys, like Java's ``UniformStickyPartitioner`` (kafka-python signals new batches only
for keyless records, so keyed records sent through it switch at ``2 * batch_size``); keyed
partitioners such as ``murmur2`` embed a :class:`StickyState` for their keyless records.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Mapping, Sequence

from partitioning.core import PartitionView

DEFAULT_BATCH_SIZE = 16384


def weighted_choice(candidates: Sequence[int], load: Mapping[int, int], rng: random.Random) -> int:
    """Pick from ``candidates`` with weight ``max_queue + 1 - queue`` (Java's adaptive rule).

    With queues {5,0,3,0,1} over partitions 0..4 the weights are {1,6,3,6,5}.
    """
    queues = [max(0, int(load.get(p, 0))) for p in candidates]
    top = max(queues) + 1
    cumulative: list[int] = []
    total = 0
    for q in queues:
        total += top - q
        cumulative.append(total)
    return candidates[bisect.bisect_right(cumulative, rng.randrange(total))]


class StickyState:
    """Per-topic sticky partition and the bytes sent to it; thread-safe."""

    def __init__(
        self,
        batch_size: int = DEFAULT_BATCH_SIZE,
        adaptive: bool = False,
        seed: int | None = None,
    ) -> None:
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.batch_size = batch_size
        self.adaptive = bool(adaptive)
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        # topic -> [partition, produced_bytes, size_of_last_record]
        self._state: dict[str, list[int]] = {}

    def _next(self, view: PartitionView) -> int:
        candidates = view.available_or_all()
        if len(candidates) == 1:
            return candidates[0]
        if self.adaptive:
            load = view.load
            if load:
                return weighted_choice(candidates, load, self._rng)
        return self._rng.choice(candidates)

    def partition(self, size: int, view: PartitionView) -> int:
        """Route one keyless record of ``size`` bytes."""
        with self._lock:
            st = self._state.get(view.topic)
            if st is None or st[1] >= 2 * self.batch_size or not view.usable(st[0]):
                st = self._state[view.topic] = [self._next(view), 0, 0]
            st[1] += size
            st[2] = size
            return st[0]

    def on_new_batch(self, view: PartitionView, prev_partition: int) -> None:
        """The client would open a new batch on ``prev_partition`` for the record just routed:
        that record will be routed again, and the sticky partition moves on if at least
        ``batch_size`` bytes went to it."""
        with self._lock:
            st = self._state.get(view.topic)
            if st is None or st[0] != prev_partition:
                return  # stale: another thread already moved on
            st[1] -= st[2]
            st[2] = 0
            if st[1] >= self.batch_size:
                self._state[view.topic] = [self._next(view), 0, 0]

    def on_batch_sent(self, view: PartitionView, partition: int) -> None:
        """A batch for ``partition`` left the client (for clients that report deliveries but
        not new batches): the next record to it would open a new batch, so the sticky
        partition moves on if it is ``partition`` and at least ``batch_size`` bytes went to it."""
        with self._lock:
            st = self._state.get(view.topic)
            if st is not None and st[0] == partition and st[1] >= self.batch_size:
                self._state[view.topic] = [self._next(view), 0, 0]

    def current(self, topic: str) -> int | None:
        """The sticky partition of ``topic``, if one was chosen."""
        st = self._state.get(topic)
        return None if st is None else st[0]


class UniformStickyPartitioner:
    """``uniform_sticky``: every record (keys ignored) goes sticky as described above.

    Options: ``batch_size`` (bytes, default 16384 as kafka-python), ``adaptive`` (weight by
    backlog when the client provides a load view), ``seed`` (for reproducible choices).
    """

    def __init__(
        self,
        batch_size: int = DEFAULT_BATCH_SIZE,
        adaptive: bool = False,
        seed: int | None = None,
    ) -> None:
        self.sticky = StickyState(batch_size, adaptive, seed)

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        size = (len(key) if key is not None else 0) + (len(value) if value is not None else 0)
        return self.sticky.partition(size, view)

    def on_new_batch(self, view: PartitionView, prev_partition: int) -> None:
        self.sticky.on_new_batch(view, prev_partition)


def sticky_state_of(partitioner: object) -> StickyState | None:
    """The :class:`StickyState` a partitioner keeps for keyless records (``.sticky``), if any:
    adapters for clients without a new-batch signal drive it another way or refuse."""
    state = getattr(partitioner, "sticky", None)
    return state if isinstance(state, StickyState) else None
