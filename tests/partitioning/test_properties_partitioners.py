"""Properties every partitioner guarantees, named after the guarantee."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import partitioning
from partitioning import PartitionView
from tests.partitioning.names import PARTITIONER_NAMES
from tests.partitioning.strategies import keys, views

OPTIONS = {"field": {"field": "id", "on_missing": "key"}}
# Keyed mapping = f(key, partition count) for every non-null key ("field" routes by the value).
KEYED = sorted(PARTITIONER_NAMES - {"field", "random", "round_robin", "uniform_sticky"})
# Null keys are spread (randomly or sticky), never hashed.
KEYLESS_SPREAD = sorted(PARTITIONER_NAMES - {"field", "consistent", "fnv1a"})
UNIFORM_HASHES = ["murmur2", "consistent", "fnv1a", "murmur3", "jump"]


def make(name: str):
    return partitioning.registry.create(name, **OPTIONS.get(name, {}))


@pytest.mark.parametrize("name", sorted(PARTITIONER_NAMES))
@settings(max_examples=60, deadline=None)
@given(view=views(), batch=st.lists(keys, min_size=1, max_size=20))
@example(view=PartitionView("topic", [0], available=[]), batch=[None, b""])
@example(view=PartitionView("topic", range(300), available=[299]), batch=[None, b"\x00" * 64])
def test_result_is_always_a_partition_of_the_topic(name: str, view: PartitionView, batch) -> None:
    p = make(name)
    for key in batch:
        assert p.partition(key, b'{"id": 7}', view) in view.all


@pytest.mark.parametrize("name", KEYED)
@settings(max_examples=60, deadline=None)
@given(key=st.binary(max_size=64).filter(bool), n=st.integers(1, 500))
def test_keyed_mapping_is_deterministic_across_instances(name: str, key: bytes, n: int) -> None:
    view = PartitionView("topic", range(n))
    assert make(name).partition(key, b"a", view) == make(name).partition(key, b"b", view)


@pytest.mark.parametrize("name", KEYED)
@settings(max_examples=60, deadline=None)
@given(key=st.binary(max_size=64).filter(bool), view=views())
def test_keyed_mapping_ignores_availability(name: str, key: bytes, view: PartitionView) -> None:
    full = PartitionView("topic", view.all)
    assert make(name).partition(key, None, view) == make(name).partition(key, None, full)


@pytest.mark.parametrize("name", KEYLESS_SPREAD)
@settings(max_examples=60, deadline=None)
@given(view=views(), sizes=st.lists(st.integers(0, 40_000), min_size=1, max_size=30))
@example(view=PartitionView("topic", range(5), available=[3]), sizes=[0, 40_000, 40_000])
def test_keyless_records_only_go_to_available_partitions(
    name: str, view: PartitionView, sizes: list[int]
) -> None:
    p = make(name)
    allowed = set(view.available or view.all)
    for size in sizes:
        got = p.partition(None, b"x" * size, view)
        assert got in allowed
        hook = getattr(p, "on_new_batch", None)
        if hook is not None and size % 3 == 0:
            hook(view, got)


def chi_square_critical(dof: int, z: float = 4.75) -> float:
    """Wilson-Hilferty upper quantile of chi-square(dof); z=4.75 is a one-sided p of 1e-6."""
    return dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3


@pytest.mark.parametrize("name", UNIFORM_HASHES)
@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32), n=st.integers(2, 64))
def test_hash_spreads_random_keys_uniformly(name: str, seed: int, n: int) -> None:
    # Per example the false-failure probability is 1e-6 (chi-square test at z = 4.75).
    rng = random.Random(seed)
    p, view = make(name), PartitionView("topic", range(n))
    per_partition = 200
    counts = Counter(
        p.partition(rng.randbytes(rng.randint(1, 32)), None, view) for _ in range(n * per_partition)
    )
    stat = sum((counts[i] - per_partition) ** 2 / per_partition for i in range(n))
    assert stat < chi_square_critical(n - 1)


@settings(max_examples=80, deadline=None)
@given(
    view=views(),
    signals=st.lists(st.booleans(), min_size=1, max_size=200),
)
def test_round_robin_counts_differ_by_at_most_one(view: PartitionView, signals) -> None:
    p = make("round_robin")
    counts = Counter()
    for new_batch in signals:  # kafka-python's flow: route, maybe signal, route again
        got = p.partition(None, b"v", view)
        if new_batch:
            p.on_new_batch(view, got)
            got = p.partition(None, b"v", view)
        counts[got] += 1
    targets = view.available or view.all
    assert set(counts) <= set(targets)
    per = [counts[t] for t in targets]
    assert max(per) - min(per) <= 1


@settings(max_examples=80, deadline=None)
@given(
    batch_size=st.integers(1, 5000),
    records=st.lists(st.tuples(st.integers(0, 3000), st.booleans()), min_size=1, max_size=150),
    n=st.integers(1, 8),
)
def test_sticky_switches_only_after_the_byte_threshold(batch_size: int, records, n: int) -> None:
    view = PartitionView("topic", range(n))
    p = partitioning.registry.create("uniform_sticky", batch_size=batch_size, seed=0)
    current, stint = None, 0
    for size, new_batch in records:  # kafka-python's flow: route, maybe signal, route again
        value = b"x" * size
        got = p.partition(None, value, view)
        if new_batch:
            p.on_new_batch(view, got)
            got = p.partition(None, value, view)
        if current is not None and got != current:
            assert stint >= batch_size, f"left partition {current} after {stint} bytes"
            stint = 0
        current = got
        stint += size


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 40), grow=st.integers(1, 40))
def test_jump_moves_the_expected_fraction_of_keys_on_expansion(seed: int, n: int, grow: int) -> None:
    rng = random.Random(seed)
    m = n + grow
    p = make("jump")
    keys_ = [rng.randbytes(12) for _ in range(4000)]
    before = [p.partition(k, None, PartitionView("t", range(n))) for k in keys_]
    after = [p.partition(k, None, PartitionView("t", range(m))) for k in keys_]
    moved = [a for a, b in zip(after, before, strict=True) if a != b]
    assert all(a >= n for a in moved)  # keys only ever move to the new partitions
    expected = len(keys_) * (m - n) / m
    sigma = math.sqrt(len(keys_) * (m - n) / m * n / m) or 1.0
    assert abs(len(moved) - expected) <= 6 * sigma  # false-failure probability < 1e-8
