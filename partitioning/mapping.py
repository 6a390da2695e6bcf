"""The one table of named keyed mappings ``(key bytes, partition count) -> partition index``.

A name means a whole rule as its client applies it (``murmur2``: Java's
``toPositive(murmur2(key)) % n``; ``fnv1a``: librdkafka's ``abs(int32(fnv1a(key))) % n``; ...),
not a bare hash, so composing partitioners (``field``'s ``hash`` option) can never pair a
hash with the wrong reduction. The bare hashes are functions in :mod:`partitioning.hashing`.
"""

from __future__ import annotations

from partitioning.hashing import murmur2_partition
from partitioning.jump import jump_index
from partitioning.keyed import KeyMapping
from partitioning.librdkafka import crc32_index, fnv1a_index
from partitioning.murmur3 import murmur3_index

KEY_MAPPINGS: dict[str, KeyMapping] = {
    "murmur2": murmur2_partition,  # Java / librdkafka murmur2
    "fnv1a": fnv1a_index,  # librdkafka fnv1a / Sarama
    "crc32": crc32_index,  # librdkafka consistent
    "murmur3": murmur3_index,  # mmh3, no client compatibility
    "jump": jump_index,  # key-stable on expansion, no client compatibility
}


def key_mapping(name: str) -> KeyMapping:
    """The mapping called ``name``; raises ``ValueError`` listing the known ones."""
    try:
        return KEY_MAPPINGS[name]
    except KeyError:
        known = ", ".join(sorted(KEY_MAPPINGS))
        raise ValueError(f"unknown hash {name!r}; known: {known}") from None
