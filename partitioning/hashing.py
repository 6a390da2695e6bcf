"""Hash functions that decide partitions, bit-exact with the clients they are named after.

Every hash returns an **unsigned** 32-bit integer (Java's ``Utils.murmur2`` returns the same
bits as a signed ``int``; ``h & 0xffffffff`` converts). A compiled fast path
(``partitioning._hashext``) is used when it was built; the pure-Python twins (``*_pure``) are
always available and are tested against the same published vectors.

- :func:`murmur2` -- Kafka's MurmurHash2 (seed ``0x9747b28c``), Java/librdkafka/kafkajs-exact.
- :func:`fnv1a` -- FNV-1a 32-bit (librdkafka ``fnv1a``, Sarama's hash partitioner).
- :func:`crc32` -- zlib CRC-32 (librdkafka ``consistent``).
- :func:`murmur3` -- MurmurHash3 x86_32 via ``mmh3``. Not murmur2: never a stand-in for it.
- :func:`jump` -- Lamping & Veach jump consistent hash of a 64-bit key.

Batch functions (:func:`hash_many`, :func:`partitions_many`) return numpy arrays for
analysing millions of keys offline; numpy is imported only when one of them is called.

The names a user picks a keyed mapping by (the ``field`` partitioner's ``hash`` option) are in
one table, :data:`partitioning.mapping.KEY_MAPPINGS`: a name there means the whole
key -> partition rule (hash *and* how its client reduces it), not the hash alone.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import mmh3

if TYPE_CHECKING:
    import numpy as np

try:
    from partitioning import _hashext
except ImportError:  # pragma: no cover - exercised only where the extension was not built
    _hashext = None

HAVE_C_EXTENSION: bool = _hashext is not None
"""True when the compiled fast path is in use."""

HashName = Literal["murmur2", "fnv1a", "crc32", "murmur3"]

_M = 0x5BD1E995
_SEED = 0x9747B28C
_MASK = 0xFFFFFFFF
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def _check_bytes(data: object) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"key must be bytes-like, not {type(data).__name__}")


def murmur2_pure(data: bytes) -> int:
    """Kafka's murmur2 of ``data`` as an unsigned 32-bit int (pure Python)."""
    _check_bytes(data)
    data = bytes(data)
    length = len(data)
    h = (_SEED ^ length) & _MASK
    end = length & ~3
    for i in range(0, end, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    rest = length & 3
    if rest == 3:
        h ^= data[end + 2] << 16
    if rest >= 2:
        h ^= data[end + 1] << 8
    if rest >= 1:
        h ^= data[end]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


def fnv1a_pure(data: bytes) -> int:
    """FNV-1a 32-bit of ``data`` as an unsigned int (pure Python)."""
    _check_bytes(data)
    h = _FNV_OFFSET
    for byte in bytes(data):
        h = ((h ^ byte) * _FNV_PRIME) & _MASK
    return h


def jump_pure(key: int, num_buckets: int) -> int:
    """Jump consistent hash: bucket of 64-bit ``key`` among ``num_buckets`` (pure Python)."""
    if num_buckets <= 0:
        raise ValueError(f"num_buckets must be positive, got {num_buckets}")
    key &= 0xFFFFFFFFFFFFFFFF
    b, j = -1, 0
    while j < num_buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


if _hashext is not None:
    murmur2: Callable[[bytes], int] = _hashext.murmur2
    fnv1a: Callable[[bytes], int] = _hashext.fnv1a
    jump: Callable[[int, int], int] = _hashext.jump
    murmur2_partition: Callable[[bytes, int], int] = _hashext.murmur2_partition
else:  # pragma: no cover
    murmur2 = murmur2_pure
    fnv1a = fnv1a_pure
    jump = jump_pure

    def murmur2_partition(data: bytes, num_partitions: int) -> int:
        if num_partitions <= 0:
            raise ValueError(f"num_partitions must be positive, got {num_partitions}")
        return (murmur2_pure(data) & 0x7FFFFFFF) % num_partitions


def crc32(data: bytes) -> int:
    """CRC-32 (zlib/IEEE) of ``data``, unsigned; ``crc32(b"") == 0``."""
    _check_bytes(data)
    return zlib.crc32(data)


def murmur3(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86_32 of ``data`` via ``mmh3``, unsigned. Not Kafka's murmur2."""
    _check_bytes(data)
    return mmh3.hash(data, seed, signed=False)


def murmur3_64(data: bytes) -> int:
    """First 64 bits of MurmurHash3 x64_128 of ``data``, unsigned: a 64-bit key for :func:`jump`."""
    _check_bytes(data)
    return mmh3.hash64(data, 0, signed=False)[0]


def to_positive(h: int) -> int:
    """Java's ``Utils.toPositive``: clear the sign bit of a 32-bit hash."""
    return h & 0x7FFFFFFF


def abs_int32(h: int) -> int:
    """librdkafka/Sarama's absolute value of a 32-bit hash read as signed (``-2**31`` stays 2**31)."""
    return h if h < 0x80000000 else 0x100000000 - h


def signed32(h: int) -> int:
    """The same 32 bits read as a signed int (how Java prints a hash)."""
    return h - 0x100000000 if h & 0x80000000 else h


# --- batch API -----------------------------------------------------------------------------

_CHUNK = 1 << 16


def _padded_blocks(keys: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Keys as a zero-padded ``(n, width)`` uint8 matrix (width a multiple of 4, plus 4) and lengths."""
    import numpy as np

    n = len(keys)
    lengths = np.fromiter(map(len, keys), dtype=np.int64, count=n)
    width = (int(lengths.max(initial=0)) // 4 + 2) * 4
    # Fixed-width bytes keep every byte of each key (NULs included) and pad with zeros.
    matrix = np.array(keys, dtype=f"S{width}").view(np.uint8).reshape(n, width)
    return matrix, lengths


def murmur2_numpy(keys: Sequence[bytes]) -> np.ndarray:
    """Vectorised Kafka murmur2 of every key (numpy only), as ``uint32``."""
    import numpy as np

    out = np.empty(len(keys), dtype=np.uint32)
    for lo in range(0, len(keys), _CHUNK):
        out[lo : lo + _CHUNK] = _murmur2_numpy_chunk(keys[lo : lo + _CHUNK])
    return out


def _murmur2_numpy_chunk(keys: Sequence[bytes]) -> np.ndarray:
    import numpy as np

    matrix, lengths = _padded_blocks(keys)
    m = np.uint32(_M)
    blocks = matrix.view("<u4")
    h = np.uint32(_SEED) ^ lengths.astype(np.uint32)
    full = lengths // 4
    for j in range(int(full.max(initial=0))):
        k = blocks[:, j] * m
        k ^= k >> np.uint32(24)
        k *= m
        h = np.where(full > j, (h * m) ^ k, h)
    rest = lengths & 3
    base = lengths - rest
    rows = np.arange(len(keys))
    b0 = matrix[rows, base].astype(np.uint32)
    b1 = matrix[rows, base + 1].astype(np.uint32)
    b2 = matrix[rows, base + 2].astype(np.uint32)
    h = np.where(rest == 3, h ^ (b2 << np.uint32(16)), h)
    h = np.where(rest >= 2, h ^ (b1 << np.uint32(8)), h)
    h = np.where(rest >= 1, (h ^ b0) * m, h)
    h ^= h >> np.uint32(13)
    h *= m
    h ^= h >> np.uint32(15)
    return np.asarray(h, dtype=np.uint32)


def fnv1a_numpy(keys: Sequence[bytes]) -> np.ndarray:
    """Vectorised FNV-1a 32-bit of every key (numpy only), as ``uint32``."""
    import numpy as np

    out = np.empty(len(keys), dtype=np.uint32)
    for lo in range(0, len(keys), _CHUNK):
        chunk = keys[lo : lo + _CHUNK]
        matrix, lengths = _padded_blocks(chunk)
        h = np.full(len(chunk), _FNV_OFFSET, dtype=np.uint32)
        prime = np.uint32(_FNV_PRIME)
        for j in range(int(lengths.max(initial=0))):
            h = np.where(lengths > j, (h ^ matrix[:, j]) * prime, h)
        out[lo : lo + _CHUNK] = h
    return out


def _as_key_list(keys: Sequence[bytes]) -> list[bytes] | Sequence[bytes]:
    import numpy as np

    if isinstance(keys, np.ndarray):
        raise TypeError("keys must be a sequence of bytes objects, not a numpy array")
    return keys


def hash_many(keys: Sequence[bytes], algorithm: HashName = "murmur2") -> np.ndarray:
    """Hash every key with ``algorithm``; returns a ``uint32`` array, element-wise equal to the
    per-key function of the same name."""
    import numpy as np

    keys = _as_key_list(keys)
    if algorithm in ("murmur2", "fnv1a"):
        out = np.empty(len(keys), dtype=np.uint32)
        if _hashext is not None:
            into = _hashext.murmur2_into if algorithm == "murmur2" else _hashext.fnv1a_into
            into(keys, out)
            return out
        for key in keys:
            _check_bytes(key)
        return murmur2_numpy(keys) if algorithm == "murmur2" else fnv1a_numpy(keys)
    if algorithm not in ("crc32", "murmur3"):
        raise ValueError(f"unknown hash {algorithm!r}; known: crc32, fnv1a, murmur2, murmur3")
    fn = crc32 if algorithm == "crc32" else murmur3
    return np.fromiter(map(fn, keys), dtype=np.uint32, count=len(keys))


def partitions_many(
    keys: Sequence[bytes], num_partitions: int, algorithm: HashName = "murmur2"
) -> np.ndarray:
    """Partition of every key under the mapping its client uses, as ``int64``.

    murmur2: Java's ``toPositive(h) % n``; fnv1a: librdkafka/Sarama's ``abs(int32(h)) % n``;
    crc32 and murmur3: ``h % n`` on the unsigned hash.
    """
    import numpy as np

    if num_partitions <= 0:
        raise ValueError(f"num_partitions must be positive, got {num_partitions}")
    h = hash_many(keys, algorithm).astype(np.int64)
    if algorithm == "murmur2":
        h &= 0x7FFFFFFF
    elif algorithm == "fnv1a":
        h = np.where(h >= 1 << 31, (1 << 32) - h, h)
    return h % num_partitions
