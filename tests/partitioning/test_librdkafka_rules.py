"""librdkafka's partitioners: keyed mappings from published vectors, null vs empty key rules."""

from __future__ import annotations

import pytest

import partitioning
from partitioning import PartitionView

KEYS = [b"kafka", b"giberish123456789", b"1234", b"234", b"34", b"4"]
MURMUR2 = [0xD067CF64, 0x8F552B0C, 0x9FC97B14, 0xE7C009CA, 0x873930DA, 0x5A4B5CA1]
FNV1A_ABS = [0x0D33C4E1, 0x77A58295, 0x023BDD03, 0x2DEA3CD2, 0x740FA83E, 0x310CA263]
CRC32 = {b"123456789": 0xCBF43926}  # CRC-32 check value
MURMUR2_EMPTY, FNV1A_ABS_EMPTY = 0x106E08D9, 0x7EE3623B

N = 7
VIEW = PartitionView("t", range(N))


@pytest.mark.parametrize("name", ["murmur2_random", "murmur2"])
def test_murmur2_family_keyed_mapping(name: str) -> None:
    p = partitioning.registry.create(name)
    assert [p.partition(k, b"v", VIEW) for k in KEYS] == [(h & 0x7FFFFFFF) % N for h in MURMUR2]


@pytest.mark.parametrize("name", ["fnv1a", "fnv1a_random"])
def test_fnv1a_family_keyed_mapping(name: str) -> None:
    p = partitioning.registry.create(name)
    assert [p.partition(k, b"v", VIEW) for k in KEYS] == [h % N for h in FNV1A_ABS]


@pytest.mark.parametrize("name", ["consistent", "consistent_random"])
def test_consistent_family_is_crc32_mod_n(name: str) -> None:
    p = partitioning.registry.create(name)
    assert p.partition(b"123456789", None, VIEW) == 0xCBF43926 % N


def test_consistent_hashes_null_and_empty_keys_to_crc_zero() -> None:
    p = partitioning.registry.create("consistent")
    assert {p.partition(None, b"v", VIEW) for _ in range(50)} == {0}
    assert {p.partition(b"", b"v", VIEW) for _ in range(50)} == {0}


def test_consistent_random_sends_null_and_empty_keys_to_random_partitions() -> None:
    p = partitioning.registry.create("consistent_random", sticky_linger_ms=0, seed=1)
    assert len({p.partition(None, b"v", VIEW) for _ in range(200)}) == N
    assert len({p.partition(b"", b"v", VIEW) for _ in range(200)}) == N


def test_murmur2_random_hashes_empty_keys_but_randomises_null() -> None:
    p = partitioning.registry.create("murmur2_random", sticky_linger_ms=0, seed=1)
    assert {p.partition(b"", b"v", VIEW) for _ in range(50)} == {(MURMUR2_EMPTY & 0x7FFFFFFF) % N}
    assert len({p.partition(None, b"v", VIEW) for _ in range(200)}) == N


def test_fnv1a_hashes_null_like_empty() -> None:
    p = partitioning.registry.create("fnv1a")
    expected = FNV1A_ABS_EMPTY % N
    assert {p.partition(None, b"v", VIEW) for _ in range(50)} == {expected}
    assert p.partition(b"", b"v", VIEW) == expected


def test_fnv1a_random_hashes_empty_but_randomises_null() -> None:
    p = partitioning.registry.create("fnv1a_random", sticky_linger_ms=0, seed=3)
    assert p.partition(b"", b"v", VIEW) == FNV1A_ABS_EMPTY % N
    assert len({p.partition(None, b"v", VIEW) for _ in range(200)}) == N


def test_random_ignores_keys() -> None:
    p = partitioning.registry.create("random", sticky_linger_ms=0, seed=5)
    assert len({p.partition(b"same", b"v", VIEW) for _ in range(200)}) == N


def test_null_keys_stick_for_the_linger_period() -> None:
    p = partitioning.registry.create("murmur2_random", sticky_linger_ms=60_000, seed=2)
    assert len({p.partition(None, b"v", VIEW) for _ in range(100)}) == 1


def test_random_choices_skip_unavailable_partitions() -> None:
    view = PartitionView("t", range(N), available=[2, 5])
    p = partitioning.registry.create("consistent_random", sticky_linger_ms=0, seed=9)
    assert {p.partition(None, b"v", view) for _ in range(200)} == {2, 5}


def test_keyed_mapping_ignores_availability() -> None:
    view = PartitionView("t", range(N), available=[])
    p = partitioning.registry.create("murmur2_random")
    assert [p.partition(k, None, view) for k in KEYS] == [(h & 0x7FFFFFFF) % N for h in MURMUR2]


def test_negative_linger_is_rejected() -> None:
    with pytest.raises(ValueError, match="sticky_linger_ms"):
        partitioning.registry.create("consistent_random", sticky_linger_ms=-1)
