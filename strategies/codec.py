"""User-data codecs, byte-compatible with the Java client's assignors.

``StickyAssignor`` (Java) sends its previous assignment and generation as a non-flexible
``StickyAssignorUserData`` struct, version 1, big-endian and without a version prefix::

    int32  topic count
      int16  topic name length, then UTF-8 bytes
      int32  partition count, then that many int32 partition ids
    int32  generation                       (absent in version 0)

Readers try version 1, then version 0. ``CooperativeStickyAssignor`` (Java) sends only the
generation, as one int32. Decoders raise :class:`UserDataError` on anything else; assignors
catch it, log a warning and ignore that member's data.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from itertools import repeat

from strategies.core import TopicPartition, partitions_by_topic

_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_I32_PAIR = struct.Struct(">ii")
_make = partial(tuple.__new__, TopicPartition)


class UserDataError(ValueError):
    """User data that cannot be decoded."""


@dataclass(frozen=True)
class StickyUserData:
    """A member's previous assignment and its generation (-1 when the sender sent none)."""

    partitions: tuple[TopicPartition, ...]
    generation: int = -1


def encode_sticky(partitions: Iterable[TopicPartition], generation: int) -> bytes:
    """Java ``StickyAssignor`` user data, version 1."""
    by_topic = partitions_by_topic(partitions)
    out = [_I32.pack(len(by_topic))]
    for topic, parts in by_topic:
        name = topic.encode("utf-8")
        if len(name) > 32767:
            raise ValueError(f"topic name too long to encode: {topic[:40]!r}...")
        out.append(_I16.pack(len(name)))
        out.append(name)
        out.append(struct.pack(f">i{len(parts)}i", len(parts), *parts))
    out.append(_I32.pack(generation))
    return b"".join(out)


def decode_sticky(data: bytes) -> StickyUserData:
    """Decode Java ``StickyAssignor`` user data (version 1, else version 0)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UserDataError(f"user data must be bytes, got {type(data).__name__}")
    buf = bytes(data)
    try:
        partitions, end = _read_assignment(buf)
    except (struct.error, ValueError) as exc:  # the compiled reader raises ValueError
        raise UserDataError(
            f"truncated or corrupt sticky user data ({len(buf)} bytes): {exc}"
        ) from exc
    if end + 4 == len(buf):
        return StickyUserData(partitions, _I32.unpack_from(buf, end)[0])
    if end == len(buf):
        return StickyUserData(partitions, -1)
    raise UserDataError(
        f"sticky user data has {len(buf) - end} unexpected trailing bytes ({len(buf)} bytes)"
    )


def _read_assignment_pure(buf: bytes) -> tuple[tuple[TopicPartition, ...], int]:
    size = len(buf)
    (topics,) = _I32.unpack_from(buf, 0)
    if topics < 0 or topics > size:
        raise struct.error(f"bad topic count {topics}")
    unpack_len, unpack_pair, make = _I16.unpack_from, _I32_PAIR.unpack_from, _make
    pos = 4
    out: list[TopicPartition] = []
    append = out.append
    names: dict[bytes, str] = {}
    for _ in range(topics):
        (length,) = unpack_len(buf, pos)
        start = pos + 2
        end = start + length
        if length < 0 or end > size:
            raise struct.error(f"bad topic name length {length}")
        raw = buf[start:end]
        topic = names.get(raw)
        if topic is None:
            topic = names[raw] = raw.decode("utf-8")
        if end + 8 <= size:
            count, first = unpack_pair(buf, end)
            if count == 1:
                append(make((topic, first)))
                pos = end + 8
                continue
        else:
            (count,) = _I32.unpack_from(buf, end)
        pos = end + 4
        if count < 0 or pos + 4 * count > size:
            raise struct.error(f"bad partition count {count} for topic {topic!r}")
        parts = struct.unpack_from(f">{count}i", buf, pos)
        pos += 4 * count
        out.extend(map(make, zip(repeat(topic, count), parts, strict=True)))
    return tuple(out), pos


try:
    from strategies._stickyext import read_assignment as _read_compiled

    def _read_assignment(buf: bytes) -> tuple[tuple[TopicPartition, ...], int]:
        """The partitions in ``buf`` and the offset after them (compiled twin)."""
        read: tuple[tuple[TopicPartition, ...], int] = _read_compiled(buf, TopicPartition)
        return read
except ImportError:  # built without a compiler
    _read_assignment = _read_assignment_pure


def encode_generation(generation: int) -> bytes:
    """Java ``CooperativeStickyAssignor`` user data: the generation as one int32."""
    return _I32.pack(generation)


def decode_generation(data: bytes) -> int:
    """Decode Java ``CooperativeStickyAssignor`` user data."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) < 4:
        raise UserDataError(f"cooperative user data needs 4 bytes, got {data!r}")
    generation: int = _I32.unpack_from(bytes(data), 0)[0]
    return generation
