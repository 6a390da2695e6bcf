"""Hash properties: compiled path, pure twin and batch API agree on arbitrary bytes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

from partitioning import hashing


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_murmur2_fast_pure_and_kafka_python_agree(data: bytes) -> None:
    assert hashing.murmur2(data) == hashing.murmur2_pure(data) == kafka_python_murmur2(data)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_fnv1a_fast_and_pure_agree(data: bytes) -> None:
    assert hashing.fnv1a(data) == hashing.fnv1a_pure(data)


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(st.binary(max_size=80), max_size=60))
def test_batch_hashes_equal_per_key_hashes(batch: list[bytes]) -> None:
    assert hashing.hash_many(batch).tolist() == [hashing.murmur2_pure(k) for k in batch]
    assert hashing.murmur2_numpy(batch).tolist() == [hashing.murmur2_pure(k) for k in batch]
    assert hashing.fnv1a_numpy(batch).tolist() == [hashing.fnv1a_pure(k) for k in batch]


@settings(max_examples=200, deadline=None)
@given(key=st.integers(0, 2**64 - 1), n=st.integers(1, 10_000))
def test_jump_fast_and_pure_agree_and_stay_in_range(key: int, n: int) -> None:
    b = hashing.jump(key, n)
    assert b == hashing.jump_pure(key, n)
    assert 0 <= b < n
