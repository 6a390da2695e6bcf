"""The client-agnostic partitioner interface: record key/value + a view of the topic -> partition.

Nothing here imports a Kafka client. A partitioner is any object with
``partition(key, value, view) -> int``; two capabilities are optional and discovered with
:func:`new_batch_hook` (``on_new_batch(view, prev_partition)``, called by clients that tell
the partitioner when a keyless record would open a new batch) and :attr:`PartitionView.load`
(queued batches per partition, where the client can provide it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, runtime_checkable


class PartitioningError(ValueError):
    """A record could not be routed; the message says which input was wrong."""


class PartitionView:
    """What a partitioner may know about one topic when a record is routed.

    ``all`` -- every partition id of the topic, sorted (available or not).
    ``available`` -- partitions whose leader is known; computed on first use.
    ``load`` -- optional queued batches per partition (missing partitions count as 0);
    ``None`` when the client cannot tell. Computed on first use.

    Raises :class:`PartitioningError` for a topic with no partitions.
    """

    __slots__ = ("topic", "all", "_available", "_available_fn", "_load", "_load_fn")

    def __init__(
        self,
        topic: str,
        all: Sequence[int],
        available: Sequence[int] | Callable[[], Sequence[int]] | None = None,
        load: Mapping[int, int] | Callable[[], Mapping[int, int] | None] | None = None,
    ) -> None:
        if not all:
            raise PartitioningError(f"topic {topic!r} has no partitions")
        self.topic = topic
        self.all: tuple[int, ...] = tuple(all)
        self._available: tuple[int, ...] | None
        self._available_fn: Callable[[], Sequence[int]] | None
        if callable(available):
            self._available, self._available_fn = None, available
        else:
            self._available = self.all if available is None else tuple(sorted(available))
            self._available_fn = None
        self._load: Mapping[int, int] | None = None
        self._load_fn: Callable[[], Mapping[int, int] | None] | None = None
        if callable(load):
            self._load_fn = load
        else:
            self._load = load

    @property
    def count(self) -> int:
        """Number of partitions of the topic (the modulus of keyed mappings)."""
        return len(self.all)

    @property
    def available(self) -> tuple[int, ...]:
        """Partitions with a known leader, sorted; may be empty."""
        if self._available is None:
            assert self._available_fn is not None
            self._available = tuple(sorted(self._available_fn()))
        return self._available

    @property
    def load(self) -> Mapping[int, int] | None:
        """Queued batches per partition, or ``None`` when the client provides no load view."""
        if self._load_fn is not None:
            self._load, self._load_fn = self._load_fn(), None
        return self._load

    def usable(self, partition: int) -> bool:
        """May keyless records go to ``partition``? Yes if its leader is known, or if no
        partition's leader is known (then every partition is as good as another)."""
        available = self.available
        return partition in available if available else partition in self.all

    def available_or_all(self) -> tuple[int, ...]:
        """Available partitions, or all of them when none is available (never empty)."""
        return self.available or self.all

    def __repr__(self) -> str:
        return f"PartitionView({self.topic!r}, all={list(self.all)}, load={self.load!r})"


@runtime_checkable
class Partitioner(Protocol):
    """Routes one record. ``key``/``value`` are the serialized bytes (``None`` for null).

    Must return a member of ``view.all``. Partitioners that route by the *unserialized*
    record also define ``partition_record(record_key, record_value, key, value, view)``,
    which adapters prefer when present (see ``partitioning.field``).
    """

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int: ...


NewBatchHook = Callable[[PartitionView, int], None]


def new_batch_hook(partitioner: object) -> NewBatchHook | None:
    """The partitioner's ``on_new_batch(view, prev_partition)`` if it has one."""
    hook = getattr(partitioner, "on_new_batch", None)
    return hook if callable(hook) else None


def check_key(key: object) -> bytes | None:
    """``key`` as bytes (or None); raises :class:`PartitioningError` if it is not bytes-like."""
    if key is None or type(key) is bytes:
        return key
    if isinstance(key, bytearray | memoryview):
        return bytes(key)
    raise PartitioningError(
        f"serialized key must be bytes or None, got {type(key).__name__}; configure a key_serializer"
    )
