"""What kpart reads from confluent-kafka (librdkafka) beyond its documented API, gated on format.

librdkafka exposes a consumer's group generation only inside the opaque bytes of
``Consumer.consumer_group_metadata()`` (``rd_kafka_consumer_group_metadata_write``): the
magic ``CGMDv2:``, then the generation id as a native-endian int32, then the group id. The
soak logs each assignment's generation, as it does for the other clients.

Guarantee: bytes that do not start with that magic, are too short, or do not carry the
consumer's own group id raise :class:`ConfluentCompatError` naming what was found; a wrong
generation is never returned silently.
"""

from __future__ import annotations

import struct
from typing import Any

MAGIC = b"CGMDv2:"


class ConfluentCompatError(RuntimeError):
    """librdkafka's group metadata is not in the format this module knows."""


def generation_of(metadata: bytes, group_id: str) -> int:
    """The generation id in ``metadata`` (``consumer_group_metadata()`` of a ``group_id`` member)."""
    head = len(MAGIC)
    if not isinstance(metadata, bytes) or not metadata.startswith(MAGIC) or len(metadata) < head + 4:
        raise ConfluentCompatError(
            f"unknown librdkafka group metadata format {bytes(metadata[:head + 4])!r} (expected {MAGIC!r})")
    (generation,) = struct.unpack_from("=i", metadata, head)
    group = metadata[head + 4:].split(b"\0", 1)[0]
    if group != group_id.encode():
        raise ConfluentCompatError(
            f"librdkafka group metadata names group {group!r}, not {group_id!r}: format changed")
    return int(generation)


def consumer_generation(consumer: Any, group_id: str) -> int:
    """The generation of a confluent-kafka ``Consumer``'s current assignment (-1 before the first)."""
    return generation_of(consumer.consumer_group_metadata(), group_id)
