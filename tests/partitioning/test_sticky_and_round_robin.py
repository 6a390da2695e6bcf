"""Uniform sticky (KIP-794), adaptive weighting, round robin without KAFKA-16283, jump, default."""

from __future__ import annotations

import random
from collections import Counter

import pytest

import partitioning
from partitioning import PartitionView
from partitioning.sticky import StickyState, weighted_choice
from tests.partitioning.fakes import FakeCluster

VIEW = PartitionView("t", range(6))


def test_sticky_stays_below_batch_size_even_when_batches_start() -> None:
    p = partitioning.registry.create("uniform_sticky", batch_size=1000, seed=1)
    first = p.partition(None, b"x" * 100, VIEW)
    for _ in range(8):  # 900 bytes in total: under batch_size
        p.on_new_batch(VIEW, first)
        assert p.partition(None, b"x" * 100, VIEW) == first


def switches(partitions: list[int]) -> list[int]:
    """Indices of the records that went elsewhere than the record before them."""
    return [i for i in range(1, len(partitions)) if partitions[i] != partitions[i - 1]]


def test_sticky_switches_on_new_batch_after_batch_size_and_starts_a_full_stint() -> None:
    moved = 0
    for seed in range(20):
        st = StickyState(batch_size=1000, seed=seed)
        first = st.partition(1000, VIEW)
        again = st.partition(100, VIEW)  # 1000 bytes went before it: a new batch would open
        st.on_new_batch(VIEW, first)
        moved += st.current("t") != first  # a new draw (it may draw the same partition again)
        # The record is routed again, then the new stint takes 2 x batch_size = 20 such records.
        stint = [st.partition(100, VIEW) for _ in range(20)]
        assert again == first and switches(stint) == [], seed
    assert moved >= 10  # 5 in 6 draws pick another of the 6 partitions


def test_sticky_always_switches_at_twice_batch_size() -> None:
    every: list[int] = []
    for seed in range(5):
        st = StickyState(batch_size=500, seed=seed)
        # A stint is exactly 10 records (1000 bytes = 2 x batch_size), then a new draw.
        at = switches([st.partition(100, VIEW) for _ in range(300)])
        assert all(i % 10 == 0 for i in at), (seed, at)
        every += at
    assert len(every) >= 100  # of 145 new draws, 5 in 6 pick another partition


def test_stale_new_batch_signal_is_ignored() -> None:
    st = StickyState(batch_size=10, seed=3)
    current = st.partition(100, VIEW)
    st.on_new_batch(VIEW, (current + 1) % 6)
    assert st.current("t") == current


def test_sticky_never_picks_an_unavailable_partition() -> None:
    view = PartitionView("t", range(6), available=[1, 4])
    p = partitioning.registry.create("uniform_sticky", batch_size=10, seed=5)
    assert {p.partition(None, b"x" * 20, view) for _ in range(300)} == {1, 4}


def test_sticky_leaves_a_partition_that_became_unavailable() -> None:
    p = partitioning.registry.create("uniform_sticky", batch_size=10**6, seed=6)
    first = p.partition(None, b"x", VIEW)
    view = PartitionView("t", range(6), available=[q for q in range(6) if q != first])
    assert p.partition(None, b"x", view) != first


def test_sticky_survives_partition_count_shrinking() -> None:
    big = PartitionView("t", range(12))
    # a producer whose sticky partition is one that will disappear
    p = next(p for p in (partitioning.registry.create("murmur2", batch_size=10**6, seed=seed)
                         for seed in range(100)) if p.partition(None, b"x", big) >= 3)
    small = PartitionView("t", range(3))
    assert p.partition(None, b"x", small) in range(3)


def test_weighted_choice_matches_java_frequencies() -> None:
    # Java's example: queue sizes {5,0,3,0,1} -> frequencies {1,6,3,6,5} out of 21.
    rng = random.Random(11)
    load = {0: 5, 1: 0, 2: 3, 3: 0, 4: 1}
    counts = Counter(weighted_choice(range(5), load, rng) for _ in range(21000))
    for partition, weight in zip(range(5), [1, 6, 3, 6, 5], strict=True):
        assert abs(counts[partition] - 1000 * weight) < 5 * (1000 * weight) ** 0.5


def test_adaptive_avoids_backlogged_partitions() -> None:
    load = {0: 9, 1: 9, 2: 9, 3: 9, 4: 9, 5: 0}
    view = PartitionView("t", range(6), load=lambda: load)
    p = partitioning.registry.create("uniform_sticky", batch_size=1, adaptive=True, seed=8)
    counts = Counter(p.partition(None, b"xx", view) for _ in range(2000))
    assert counts[5] > 0.6 * sum(counts.values())  # weight 10 of 15


def test_adaptive_without_load_view_is_uniform() -> None:
    p = partitioning.registry.create("uniform_sticky", batch_size=1, adaptive=True, seed=8)
    counts = Counter(p.partition(None, b"xx", VIEW) for _ in range(6000))
    assert min(counts.values()) > 800


def test_bad_batch_size_is_rejected() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        partitioning.registry.create("uniform_sticky", batch_size=0)


def test_round_robin_deals_evenly_over_available_partitions() -> None:
    p = partitioning.registry.create("round_robin")
    view = PartitionView("t", range(6), available=[0, 2, 3, 5])
    assert [p.partition(None, b"v", view) for _ in range(8)] == [0, 2, 3, 5, 0, 2, 3, 5]


def test_round_robin_uses_every_partition_when_every_record_starts_a_batch() -> None:
    # KAFKA-16283: with a new batch per record, Java's version skipped every other partition.
    p = partitioning.kafka_python.create("round_robin")
    cluster = FakeCluster({"t": 6})
    used = []
    for _ in range(12):
        first = p.partition("t", None, None, None, b"v", cluster)
        p.on_new_batch("t", cluster, first)
        used.append(p.partition("t", None, None, None, b"v", cluster))
    assert Counter(used) == {q: 2 for q in range(6)}


def test_default_matches_kafka_python_default_partitioner() -> None:
    from kafka.partitioner import DefaultPartitioner

    ours, theirs = partitioning.kafka_python.create("default"), DefaultPartitioner()
    cluster = FakeCluster({"t": 9})
    for i in range(500):
        key = f"key-{i}".encode()
        assert ours.partition("t", key, key, None, b"v", cluster) == theirs.partition(
            "t", key, key, None, b"v", cluster
        )
    assert {ours.partition("t", None, None, None, b"v", cluster) for _ in range(300)} == set(range(9))


def test_jump_moves_only_keys_that_go_to_new_partitions() -> None:
    p = partitioning.registry.create("jump")
    keys = [f"k{i}".encode() for i in range(3000)]
    before = [p.partition(k, None, PartitionView("t", range(8))) for k in keys]
    after = [p.partition(k, None, PartitionView("t", range(10))) for k in keys]
    for b, a in zip(before, after, strict=True):
        assert a == b or a >= 8
