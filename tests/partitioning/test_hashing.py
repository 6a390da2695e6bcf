"""Published vectors for every hash, checked on the compiled path, the pure twin and the batch API."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

from partitioning import hashing

# Java UtilsTest.testMurmur2 (signed 32-bit results).
JAVA_MURMUR2 = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (bytes([ord("a"), ord("b"), ord("c")]), 479470107),
]

# kafkajs Java-compatible murmur2 vectors (signed), generated from the Java client.
KAFKAJS_MURMUR2 = [
    (b"0", 971027396),
    (b"1", -1993445489),
    (b"128", -326012175),
    (b"2187", -1508407203),
    (b"16384", -325739742),
    (b"78125", -1654490814),
    (b"279936", 1462227128),
    (b"823543", -2014198330),
    (b"2097152", 607668903),
    (b"4782969", -1182699775),
    (b"10000000", -1830336757),
    (b"100:48069", 1009543857),
]

# librdkafka rdmurmur2.c / rdfnv1a.c unit tests (unsigned; fnv1a column is abs(int32(h))).
LIBRDKAFKA_KEYS = [b"kafka", b"giberish123456789", b"1234", b"234", b"34", b"4", b""]
LIBRDKAFKA_MURMUR2 = [
    0xD067CF64,
    0x8F552B0C,
    0x9FC97B14,
    0xE7C009CA,
    0x873930DA,
    0x5A4B5CA1,
    0x106E08D9,
]
LIBRDKAFKA_FNV1A_ABS = [
    0x0D33C4E1,
    0x77A58295,
    0x023BDD03,
    0x2DEA3CD2,
    0x740FA83E,
    0x310CA263,
    0x7EE3623B,
]

MURMUR2_IMPLS = [hashing.murmur2, hashing.murmur2_pure]
FNV1A_IMPLS = [hashing.fnv1a, hashing.fnv1a_pure]


def test_compiled_extension_is_built() -> None:
    assert hashing.HAVE_C_EXTENSION, "partitioning._hashext missing: reinstall with pip install -e"


@pytest.mark.parametrize("impl", MURMUR2_IMPLS)
@pytest.mark.parametrize(("data", "signed"), JAVA_MURMUR2 + KAFKAJS_MURMUR2)
def test_murmur2_matches_java_and_kafkajs_vectors(impl, data: bytes, signed: int) -> None:
    assert impl(data) == signed & 0xFFFFFFFF
    assert hashing.signed32(impl(data)) == signed


@pytest.mark.parametrize("impl", MURMUR2_IMPLS)
@pytest.mark.parametrize(("data", "expected"), list(zip(LIBRDKAFKA_KEYS, LIBRDKAFKA_MURMUR2, strict=True)))
def test_murmur2_matches_librdkafka_vectors(impl, data: bytes, expected: int) -> None:
    assert impl(data) == expected


@pytest.mark.parametrize("impl", FNV1A_IMPLS)
@pytest.mark.parametrize(("data", "expected"), list(zip(LIBRDKAFKA_KEYS, LIBRDKAFKA_FNV1A_ABS, strict=True)))
def test_fnv1a_matches_librdkafka_vectors(impl, data: bytes, expected: int) -> None:
    assert hashing.abs_int32(impl(data)) == expected


def test_fnv1a_reference_values() -> None:
    # FNV-1a 32 reference values (Fowler/Noll/Vo test suite): "" and "a".
    assert hashing.fnv1a(b"") == 0x811C9DC5
    assert hashing.fnv1a(b"a") == 0xE40C292C
    assert hashing.fnv1a_pure(b"foobar") == 0xBF9CF968


@pytest.mark.parametrize(
    ("signed", "partitions"),
    [
        (-973932308, [0, 0, 0, 40]),
        (-790332482, [0, 0, 6, 66]),
        (-985981536, [2, 2, 8, 12]),
        (-1486304829, [2, 5, 11, 19]),
        (-58897971, [2, 5, 5, 77]),
        (479470107, [0, 3, 3, 7]),
    ],
)
def test_java_partition_numbers_derived_from_vectors(signed: int, partitions: list[int]) -> None:
    data = next(d for d, s in JAVA_MURMUR2 if s == signed)
    got = [hashing.murmur2_partition(data, n) for n in (3, 6, 12, 100)]
    assert got == partitions


def test_murmur2_agrees_with_kafka_python_on_many_keys() -> None:
    keys = [bytes(range(i % 256))[: i % 37] + str(i).encode() for i in range(2000)]
    assert [hashing.murmur2(k) for k in keys] == [kafka_python_murmur2(k) for k in keys]


def test_bytes_like_inputs_hash_like_bytes() -> None:
    for fn in (hashing.murmur2, hashing.fnv1a, hashing.crc32):
        assert fn(bytearray(b"foobar")) == fn(b"foobar") == fn(memoryview(b"foobar"))


@pytest.mark.parametrize("fn", [hashing.murmur2, hashing.murmur2_pure, hashing.fnv1a, hashing.crc32])
def test_non_bytes_key_is_a_clear_type_error(fn) -> None:
    with pytest.raises(TypeError, match="bytes"):
        fn("not-bytes")


def test_crc32_is_zlib_and_empty_is_zero() -> None:
    assert hashing.crc32(b"") == 0
    assert hashing.crc32(b"123456789") == 0xCBF43926  # CRC-32/ISO-HDLC check value


def test_murmur3_is_mmh3_not_murmur2() -> None:
    # MurmurHash3 x86_32 reference: "hello", seed 0 -> 0x248bfa47.
    assert hashing.murmur3(b"hello") == 0x248BFA47
    assert hashing.murmur3(b"foobar") != hashing.murmur2(b"foobar")


def test_jump_reference_and_pure_twin_agree() -> None:
    # Lamping & Veach reference implementation: key 0 always bucket 0; bucket stays < n.
    assert hashing.jump(0, 1000) == 0
    for key in range(0, 10**6, 997):
        for n in (1, 2, 7, 100, 1000):
            b = hashing.jump(key * 0x9E3779B97F4A7C15, n)
            assert 0 <= b < n
            assert b == hashing.jump_pure(key * 0x9E3779B97F4A7C15, n)


@pytest.mark.parametrize("fn", [hashing.jump, hashing.jump_pure])
def test_jump_rejects_nonpositive_bucket_count(fn) -> None:
    with pytest.raises(ValueError, match="positive"):
        fn(1, 0)


def test_murmur2_partition_rejects_nonpositive_count() -> None:
    with pytest.raises(ValueError, match="positive"):
        hashing.murmur2_partition(b"k", 0)


VECTOR_KEYS = [d for d, _ in JAVA_MURMUR2 + KAFKAJS_MURMUR2] + LIBRDKAFKA_KEYS


def test_hash_many_matches_vectors_on_every_path() -> None:
    expected = [s & 0xFFFFFFFF for _, s in JAVA_MURMUR2 + KAFKAJS_MURMUR2] + LIBRDKAFKA_MURMUR2
    assert hashing.hash_many(VECTOR_KEYS).tolist() == expected
    assert hashing.murmur2_numpy(VECTOR_KEYS).tolist() == expected
    fnv = [hashing.abs_int32(int(h)) for h in hashing.fnv1a_numpy(LIBRDKAFKA_KEYS)]
    assert fnv == LIBRDKAFKA_FNV1A_ABS


def test_batch_paths_agree_with_per_key_on_random_keys() -> None:
    rng = np.random.default_rng(7)
    keys = [rng.bytes(int(n)) for n in rng.integers(0, 70, size=5000)]
    per_key = [hashing.murmur2_pure(k) for k in keys]
    assert hashing.hash_many(keys, "murmur2").tolist() == per_key
    assert hashing.murmur2_numpy(keys).tolist() == per_key
    fnv = [hashing.fnv1a_pure(k) for k in keys]
    assert hashing.hash_many(keys, "fnv1a").tolist() == fnv
    assert hashing.fnv1a_numpy(keys).tolist() == fnv
    assert hashing.hash_many(keys, "crc32").tolist() == [zlib.crc32(k) for k in keys]


def test_partitions_many_uses_each_clients_mapping() -> None:
    keys = [d for d, _ in JAVA_MURMUR2]
    assert hashing.partitions_many(keys, 12).tolist() == [0, 6, 8, 11, 5, 3]
    fnv_expected = [h % 7 for h in LIBRDKAFKA_FNV1A_ABS]
    assert hashing.partitions_many(LIBRDKAFKA_KEYS, 7, "fnv1a").tolist() == fnv_expected
    assert hashing.partitions_many([b""], 5, "crc32").tolist() == [0]


def test_abs_int32_edge_cases() -> None:
    assert hashing.abs_int32(0x80000000) == 0x80000000  # abs(INT32_MIN) overflows in C
    assert hashing.abs_int32(0xFFFFFFFF) == 1
    assert hashing.abs_int32(5) == 5


def test_batch_api_rejects_bad_input() -> None:
    with pytest.raises(TypeError):
        hashing.hash_many([b"ok", "not-bytes"])
    with pytest.raises(ValueError, match="unknown hash"):
        hashing.hash_many([b"x"], "sha1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        hashing.partitions_many([b"x"], 0)
