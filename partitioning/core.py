"""The client-agnostic partitioner interface: record key/value + a view of the topic -> partition.

Nothing here imports a Kafka client. A partitioner is any object with
``partition(key, value, view) -> int`` (:class:`Partitioner`). Optional capabilities are typed
protocols, found the same way by every client adapter (``isinstance`` once, when the adapter
is built) and checked by mypy:

- :class:`NewBatchAware` -- ``on_new_batch(view, prev_partition)``, called by clients that
  tell the partitioner when a keyless record would open a new batch (kafka-python);
- :class:`RecordPartitioner` -- ``partition_record(...)``, routing by the unserialized record
  (``field``); adapters that have the record call it instead of ``partition``;
- :class:`LoadSource` -- the client side's load view: queued batches per partition of a topic,
  read through :attr:`PartitionView.load` by adaptive partitioners.

:func:`routed` is the one way an adapter calls a core partitioner and checks its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, cast, runtime_checkable


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

    __slots__ = ("topic", "all", "_available", "_available_fn", "_load", "_load_fn", "_ids")

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
        self._ids: frozenset[int] | None = None
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

    def has(self, partition: object) -> bool:
        """Is ``partition`` one of :attr:`all`? O(1) (a set built on first use)."""
        ids = self._ids
        if ids is None:
            ids = self._ids = frozenset(self.all)
        return partition in ids

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

    Must return a member of ``view.all``.
    """

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int: ...


@runtime_checkable
class NewBatchAware(Protocol):
    """Capability: the client says a keyless record routed to ``prev_partition`` would open a
    new batch; the partitioner may move on before the record is routed again."""

    def on_new_batch(self, view: PartitionView, prev_partition: int) -> None: ...


@runtime_checkable
class RecordPartitioner(Protocol):
    """Capability: routes by the unserialized record (``record_key``/``record_value``) as well
    as its bytes; adapters that have the record call this instead of ``partition``."""

    def partition_record(
        self, record_key: Any, record_value: Any, key: bytes | None, value: bytes | None,
        view: PartitionView,
    ) -> int: ...


class LoadSource(Protocol):
    """Capability of a client adapter: queued batches per partition of ``topic`` (partitions
    missing count as 0), or ``None`` when it cannot tell; the load view adaptive partitioners
    read through :attr:`PartitionView.load`."""

    def __call__(self, topic: str) -> Mapping[int, int] | None: ...


def routed(core: Partitioner, by_record: bool, view: PartitionView, record_key: Any,
           record_value: Any, key: bytes | None, value: bytes | None) -> int:
    """The partition ``core`` picks for one record: through ``partition_record`` when
    ``by_record`` (the adapter found :class:`RecordPartitioner` once), else ``partition``.

    Raises :class:`PartitioningError` naming the partitioner unless the answer is an ``int`` in
    ``view.all`` (checked in O(1)).
    """
    if by_record:
        p: object = cast(RecordPartitioner, core).partition_record(record_key, record_value, key, value, view)
    else:
        p = core.partition(key, value, view)
    if type(p) is not int or not view.has(p):
        raise PartitioningError(
            f"{type(core).__name__} returned {p!r}, not a partition of {view.topic!r} "
            f"(0..{view.count - 1})"
        )
    return p


def check_key(key: object) -> bytes | None:
    """``key`` as bytes (or None); raises :class:`PartitioningError` if it is not bytes-like."""
    if key is None or type(key) is bytes:
        return key
    if isinstance(key, bytearray | memoryview):
        return bytes(key)
    raise PartitioningError(
        f"serialized key must be bytes or None, got {type(key).__name__}; configure a key_serializer"
    )
