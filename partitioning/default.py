"""``default``: kafka-python's ``DefaultPartitioner`` behaviour, for comparisons.

Keyed records: murmur2 like Java (same partition for every key). Keyless records: a uniformly
random available partition per record (all partitions when none is available) -- the pre-2.4
Java behaviour that makes many small batches; prefer ``murmur2`` or ``uniform_sticky``.
"""

from __future__ import annotations

import random
from typing import cast

from partitioning.core import PartitionView, check_key
from partitioning.hashing import murmur2_partition


class KafkaPythonDefaultPartitioner:
    """murmur2 for keys, random per record for keyless records."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        if key is None:
            return self._rng.choice(view.available_or_all())
        if type(key) is not bytes:
            key = cast(bytes, check_key(key))  # not None: null keys took the keyless path
        return view.all[murmur2_partition(key, len(view.all))]
