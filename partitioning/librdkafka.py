"""The librdkafka (confluent-kafka) partitioners, exact including their null/empty key rules.

Compatibility: for every key, the same partition as librdkafka's ``partitioner`` setting of
the same name, so a Python producer co-partitions with confluent-kafka services:

============== ================================ ================= =================
name           keyed mapping                    null key          empty key ``b""``
============== ================================ ================= =================
random         random                           sticky random     random
consistent     ``crc32(key) % n``               hashed (crc32=0)  hashed
consistent_random ``crc32(key) % n``            sticky random     random
murmur2_random ``(murmur2(key) & 0x7fffffff) % n`` sticky random  hashed
fnv1a          ``abs(int32(fnv1a(key))) % n``   hashed as empty   hashed
fnv1a_random   ``abs(int32(fnv1a(key))) % n``   sticky random     hashed
============== ================================ ================= =================

``murmur2_random`` equals Java's mapping for keyed records; ``fnv1a`` equals Sarama's
``NewHashPartitioner`` for keyed records. "Sticky random" follows librdkafka's
``sticky.partitioning.linger.ms`` (default 10 ms): keyless records stay on one randomly chosen
available partition for that long; ``sticky_linger_ms=0`` picks per record. Random choices draw
from available partitions (all when none is available), as librdkafka prefers available ones.
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from collections.abc import Callable
from typing import cast

from partitioning.core import PartitionView, check_key
from partitioning.hashing import abs_int32, fnv1a, murmur2_partition

KeyIndex = Callable[[bytes, int], int]


def crc32_index(key: bytes, count: int) -> int:
    """librdkafka ``consistent``: ``crc32(key) % count``."""
    return zlib.crc32(key) % count


def fnv1a_index(key: bytes, count: int) -> int:
    """librdkafka ``fnv1a`` / Sarama: ``abs(int32(fnv1a(key))) % count``."""
    return abs_int32(fnv1a(key)) % count


class LibrdkafkaPartitioner:
    """One of librdkafka's partitioners; construct through the registry names above."""

    def __init__(
        self,
        index: KeyIndex | None,
        null_random: bool,
        empty_random: bool,
        sticky_linger_ms: float = 10.0,
        seed: int | None = None,
    ) -> None:
        if sticky_linger_ms < 0:
            raise ValueError(f"sticky_linger_ms must be >= 0, got {sticky_linger_ms!r}")
        self._index = index
        self._null_random = null_random
        self._empty_random = empty_random
        self._linger_s = sticky_linger_ms / 1000.0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._sticky: dict[str, tuple[int, float]] = {}

    def _random(self, view: PartitionView) -> int:
        return self._rng.choice(view.available_or_all())

    def _sticky_random(self, view: PartitionView) -> int:
        if self._linger_s == 0:
            return self._random(view)
        now = time.monotonic()
        with self._lock:
            current = self._sticky.get(view.topic)
            if current is not None and now < current[1] and view.usable(current[0]):
                return current[0]
            partition = self._random(view)
            self._sticky[view.topic] = (partition, now + self._linger_s)
            return partition

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        if key is None:
            if self._null_random or self._index is None:
                return self._sticky_random(view)
            key = b""
        elif type(key) is not bytes:
            key = cast(bytes, check_key(key))  # not None: null keys took the keyless path
        if self._index is None or (self._empty_random and not key):
            return self._random(view)
        return view.all[self._index(key, len(view.all))]


def random_partitioner(sticky_linger_ms: float = 10.0, seed: int | None = None) -> LibrdkafkaPartitioner:
    """librdkafka ``random``."""
    return LibrdkafkaPartitioner(None, True, True, sticky_linger_ms, seed)


def consistent(sticky_linger_ms: float = 10.0, seed: int | None = None) -> LibrdkafkaPartitioner:
    """librdkafka ``consistent``: crc32; null and empty keys both hash (to crc32 0)."""
    return LibrdkafkaPartitioner(crc32_index, False, False, sticky_linger_ms, seed)


def consistent_random(sticky_linger_ms: float = 10.0, seed: int | None = None) -> LibrdkafkaPartitioner:
    """librdkafka ``consistent_random`` (its default): crc32; null and empty keys random."""
    return LibrdkafkaPartitioner(crc32_index, True, True, sticky_linger_ms, seed)


def murmur2_random(sticky_linger_ms: float = 10.0, seed: int | None = None) -> LibrdkafkaPartitioner:
    """librdkafka ``murmur2_random``: Java's murmur2 mapping; null keys random, empty hashed."""
    return LibrdkafkaPartitioner(murmur2_partition, True, False, sticky_linger_ms, seed)


def fnv1a_partitioner(sticky_linger_ms: float = 10.0, seed: int | None = None) -> LibrdkafkaPartitioner:
    """librdkafka ``fnv1a``: null keys hash like empty ones."""
    return LibrdkafkaPartitioner(fnv1a_index, False, False, sticky_linger_ms, seed)


def fnv1a_random(sticky_linger_ms: float = 10.0, seed: int | None = None) -> LibrdkafkaPartitioner:
    """librdkafka ``fnv1a_random``: null keys random, empty keys hashed."""
    return LibrdkafkaPartitioner(fnv1a_index, True, False, sticky_linger_ms, seed)
