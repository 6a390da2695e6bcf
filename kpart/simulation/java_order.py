"""Iteration order of Java's ``HashMap`` / ``HashSet`` (JDK 8+), for exact ports of Java code.

A Java hash map iterates bucket by bucket (``(h ^ h >>> 16) & (capacity - 1)``), and within a
bucket in insertion order: a resize splits each bucket keeping that order. So the order follows
from the hashes, the insertion order and the final capacity, which :func:`iteration_order`
reproduces, including the resize a bucket of 9 entries forces while the table is under 64.
Not modelled: tree bins (9+ colliding keys in a table of 64 or more), whose order differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K")

DEFAULT_CAPACITY = 16
LOAD_FACTOR = 0.75
TREEIFY_THRESHOLD = 8
MIN_TREEIFY_CAPACITY = 64
MAXIMUM_CAPACITY = 1 << 30


def string_hash(text: str) -> int:
    """Java's ``String.hashCode`` (over UTF-16 code units), as an unsigned 32-bit int."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h


def int_hash(value: int) -> int:
    """Java's ``Integer.hashCode``, as an unsigned 32-bit int."""
    return value & 0xFFFFFFFF


def uuid_hash(most: int, least: int) -> int:
    """Kafka's ``Uuid.hashCode`` for the two signed 64-bit halves, as an unsigned 32-bit int."""
    h = (most ^ least) & 0xFFFFFFFFFFFFFFFF
    return ((h >> 32) ^ h) & 0xFFFFFFFF


def table_size_for(capacity: int) -> int:
    """``HashMap.tableSizeFor``: the power of two at least ``capacity`` (1 for 0)."""
    n = 1
    while n < capacity and n < MAXIMUM_CAPACITY:
        n <<= 1
    return n


def collection_capacity(size: int) -> int:
    """Initial capacity ``new HashSet<>(collection)`` asks for: ``max(size / .75f + 1, 16)``."""
    return max(int(size / LOAD_FACTOR) + 1, DEFAULT_CAPACITY)


def _bucket(h: int, capacity: int) -> int:
    return (h ^ (h >> 16)) & (capacity - 1)


def iteration_order(
    keys: Iterable[K], hash_of: Callable[[K], int], initial_capacity: int | None = None
) -> list[K]:
    """The order a Java ``HashMap`` iterates ``keys`` put in this order (duplicates ignored).

    ``initial_capacity`` is the constructor argument (``None``: ``new HashMap<>()``).
    """
    capacity = DEFAULT_CAPACITY if initial_capacity is None else table_size_for(initial_capacity)
    threshold = int(capacity * LOAD_FACTOR)
    seen: set[K] = set()
    ordered: list[tuple[int, K]] = []
    per_bucket: dict[int, int] = {}
    for key in keys:
        if key in seen:
            continue
        seen.add(key)
        h = hash_of(key)
        ordered.append((h, key))
        b = _bucket(h, capacity)
        per_bucket[b] = per_bucket.get(b, 0) + 1
        grow = len(ordered) > threshold
        if per_bucket[b] > TREEIFY_THRESHOLD and capacity < MIN_TREEIFY_CAPACITY:
            grow = True  # treeifyBin on a small table resizes instead
        while grow:
            capacity <<= 1
            threshold = int(capacity * LOAD_FACTOR)
            per_bucket = {}
            for hk, _ in ordered:
                bk = _bucket(hk, capacity)
                per_bucket[bk] = per_bucket.get(bk, 0) + 1
            grow = len(ordered) > threshold
    positions = sorted(range(len(ordered)), key=lambda i: (_bucket(ordered[i][0], capacity), i))
    return [ordered[i][1] for i in positions]


def hash_set_from(values: Sequence[K], hash_of: Callable[[K], int]) -> list[K]:
    """Iteration order of ``new HashSet<>(values)`` (a collection copied into a new set)."""
    return iteration_order(values, hash_of, collection_capacity(len(values)))
