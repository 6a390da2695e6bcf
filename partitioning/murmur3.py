"""``murmur3``: MurmurHash3 (x86_32, seed 0, via ``mmh3``) modulo the partition count.

Compatibility: none with Kafka clients -- Java, librdkafka and kafkajs use murmur2, and
MurmurHash3 can never stand in for it. Choose it only when every producer of the topic uses
this partitioner. Keyless records go uniform sticky.
"""

from __future__ import annotations

import mmh3

from partitioning.keyed import KeyedStickyPartitioner
from partitioning.sticky import DEFAULT_BATCH_SIZE


def murmur3_index(key: bytes, count: int) -> int:
    """``mmh3.hash(key, seed, unsigned) % count``."""
    return mmh3.hash(key, 0, False) % count


class Murmur3Partitioner(KeyedStickyPartitioner):
    """MurmurHash3 keyed mapping over all partitions; uniform sticky for keyless records."""

    def __init__(
        self, batch_size: int = DEFAULT_BATCH_SIZE, adaptive: bool = False, seed: int | None = None
    ) -> None:
        super().__init__(murmur3_index, batch_size, adaptive, seed)
