"""Hypothesis strategies for partitioner property tests: topics, keys, availability."""

from __future__ import annotations

from hypothesis import strategies as st

from partitioning import PartitionView

keys = st.one_of(st.none(), st.binary(max_size=64))
values = st.one_of(st.none(), st.binary(max_size=256))
partition_counts = st.integers(min_value=1, max_value=300)


@st.composite
def views(draw: st.DrawFn, min_partitions: int = 1) -> PartitionView:
    """A topic with 1..300 partitions, any subset of them available (possibly none)."""
    n = draw(st.integers(min_value=min_partitions, max_value=300))
    available = draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=min(n, 40)))
    if draw(st.booleans()):
        available = set(range(n))
    return PartitionView("topic", range(n), available=sorted(available))
