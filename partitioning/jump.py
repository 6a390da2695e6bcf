"""``jump``: key-stable partitioning for topics that grow (jump consistent hash).

Each key's 64-bit MurmurHash3 (x64_128, first half) is placed with Lamping & Veach's jump
consistent hash. When a topic grows from N to M partitions only about ``(M - N) / M`` of the
keys move -- and only to the new partitions -- where ``hash % N`` moves about ``1 - 1/M`` of
them. The price: the mapping matches no other Kafka client, so every producer of the topic must
use it; and per-key order is still broken for the keys that do move. Keyless records go
uniform sticky.
"""

from __future__ import annotations

from partitioning.hashing import jump, murmur3_64
from partitioning.keyed import KeyedStickyPartitioner
from partitioning.sticky import DEFAULT_BATCH_SIZE


def jump_index(key: bytes, count: int) -> int:
    """Jump-consistent bucket of ``key`` among ``count`` partitions."""
    return jump(murmur3_64(key), count)


class JumpPartitioner(KeyedStickyPartitioner):
    """Jump consistent hash over all partitions; uniform sticky for keyless records."""

    def __init__(
        self, batch_size: int = DEFAULT_BATCH_SIZE, adaptive: bool = False, seed: int | None = None
    ) -> None:
        super().__init__(jump_index, batch_size, adaptive, seed)
