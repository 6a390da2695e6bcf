"""User data: round trips, and bytes laid out field by field as Java's assignors write them."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import TopicPartition
from strategies.codec import (
    UserDataError,
    decode_generation,
    decode_sticky,
    encode_generation,
    encode_sticky,
)


def java_sticky_bytes(assignment: dict[str, list[int]], generation: int | None) -> bytes:
    """StickyAssignorUserData built from the schema: [topic:string [partition:int32]] gen:int32."""
    out = struct.pack(">i", len(assignment))
    for topic, parts in assignment.items():
        name = topic.encode()
        out += struct.pack(">h", len(name)) + name + struct.pack(">i", len(parts))
        out += b"".join(struct.pack(">i", p) for p in parts)
    if generation is not None:
        out += struct.pack(">i", generation)
    return out


def test_decodes_java_version_1_bytes() -> None:
    data = decode_sticky(java_sticky_bytes({"orders": [0, 2], "pay": [1]}, 7))
    assert data.generation == 7
    assert sorted(data.partitions) == [TopicPartition("orders", 0), TopicPartition("orders", 2),
                                       TopicPartition("pay", 1)]


def test_decodes_java_version_0_bytes_without_generation() -> None:
    data = decode_sticky(java_sticky_bytes({"t": [3]}, None))
    assert data.partitions == (TopicPartition("t", 3),)
    assert data.generation == -1


def test_encodes_exactly_the_java_layout() -> None:
    tps = [TopicPartition("b", 1), TopicPartition("a", 0), TopicPartition("b", 0)]
    assert encode_sticky(tps, 42) == java_sticky_bytes({"a": [0], "b": [0, 1]}, 42)


def test_cooperative_user_data_is_one_big_endian_int32() -> None:
    assert encode_generation(5) == b"\x00\x00\x00\x05"
    assert decode_generation(b"\xff\xff\xff\xff") == -1


@pytest.mark.parametrize("blob", [
    b"", b"\x00", b"\x00\x00\x00\x01", b"\x00\x00\x00\x01\x00\x05ab",
    b"\xff\xff\xff\xff", b"\x00\x00\x00\x01\x00\x01t\x7f\xff\xff\xff",
    java_sticky_bytes({"t": [1]}, 3) + b"junk!",
    b"\x00\x00\x00\x01\x00\x02\xff\xfe\x00\x00\x00\x00",
])
def test_corrupt_or_truncated_sticky_data_raises_user_data_error(blob: bytes) -> None:
    with pytest.raises(UserDataError):
        decode_sticky(blob)


def test_truncated_cooperative_data_raises_user_data_error() -> None:
    with pytest.raises(UserDataError, match="4 bytes"):
        decode_generation(b"\x00\x01")


topic_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                      min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(st.sets(st.tuples(topic_names, st.integers(0, 2**31 - 1)), max_size=30),
       st.integers(-1, 2**31 - 1))
def test_sticky_round_trip(parts: set[tuple[str, int]], generation: int) -> None:
    tps = [TopicPartition(t, p) for t, p in parts]
    data = decode_sticky(encode_sticky(tps, generation))
    assert sorted(data.partitions) == sorted(tps)
    assert data.generation == generation


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_arbitrary_bytes_decode_or_raise_user_data_error_only(blob: bytes) -> None:
    try:
        decode_sticky(blob)
    except UserDataError:
        pass
