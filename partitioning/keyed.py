"""Building block: a keyed mapping for records with a key, uniform sticky for keyless ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from partitioning.core import PartitionView, check_key
from partitioning.sticky import DEFAULT_BATCH_SIZE, StickyState

KeyMapping = Callable[[bytes, int], int]
"""(key bytes, partition count) -> index into the topic's sorted partitions."""


class KeyedStickyPartitioner:
    """Keyed records: ``mapping(key, count)`` over **all** partitions, available or not, so a
    key's partition never depends on broker health. Keyless records: uniform sticky
    (see :mod:`partitioning.sticky`). Subclasses set the mapping."""

    def __init__(
        self,
        mapping: KeyMapping,
        batch_size: int = DEFAULT_BATCH_SIZE,
        adaptive: bool = False,
        seed: int | None = None,
    ) -> None:
        self._mapping = mapping
        self.sticky = StickyState(batch_size, adaptive, seed)

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        if key is None:
            return self.sticky.partition(len(value) if value is not None else 0, view)
        if type(key) is not bytes:
            key = cast(bytes, check_key(key))  # not None: null keys took the keyless path
        return view.all[self._mapping(key, len(view.all))]

    def on_new_batch(self, view: PartitionView, prev_partition: int) -> None:
        self.sticky.on_new_batch(view, prev_partition)
