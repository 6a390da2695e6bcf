"""Named keyed mappings ``(key bytes, partition count) -> partition index`` for composition."""

from __future__ import annotations

from collections.abc import Callable

from partitioning.hashing import murmur2_partition
from partitioning.jump import jump_index
from partitioning.librdkafka import crc32_index, fnv1a_index
from partitioning.murmur3 import murmur3_index

KEY_MAPPINGS: dict[str, Callable[[bytes, int], int]] = {
    "murmur2": murmur2_partition,  # Java / librdkafka murmur2
    "fnv1a": fnv1a_index,  # librdkafka fnv1a / Sarama
    "crc32": crc32_index,  # librdkafka consistent
    "murmur3": murmur3_index,  # mmh3, no client compatibility
    "jump": jump_index,  # key-stable on expansion, no client compatibility
}


def key_mapping(name: str) -> Callable[[bytes, int], int]:
    """The mapping called ``name``; raises ``ValueError`` listing the known ones."""
    try:
        return KEY_MAPPINGS[name]
    except KeyError:
        known = ", ".join(sorted(KEY_MAPPINGS))
        raise ValueError(f"unknown hash {name!r}; known: {known}") from None
