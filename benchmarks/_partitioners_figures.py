"""Print the text figures of docs/partitioners.md: key skew per hash and keys moved on expansion.

python benchmarks/_partitioners_figures.py
"""

from __future__ import annotations

import numpy as np

import partitioning
from partitioning import PartitionView

HASHES = ["murmur2", "consistent", "fnv1a", "murmur3", "jump"]


def bar(fraction: float, width: int = 40) -> str:
    return "#" * round(fraction * width)


def skew(keys: list[bytes], n: int, title: str) -> None:
    print(f"\n{title}: {len(keys):,} keys over {n} partitions (max/min records per partition)")
    view = PartitionView("t", range(n))
    for name in HASHES:
        core = partitioning.registry.create(name)
        counts = np.bincount([core.partition(k, None, view) for k in keys], minlength=n)
        print(f"  {name:11s} max/min {counts.max() / max(counts.min(), 1):5.3f}  "
              f"min {counts.min():6,}  max {counts.max():6,}")  # fmt: skip


def hot_keys(n: int = 12, records: int = 100_000) -> None:
    """Records per partition when key popularity is Zipf-like: hashing cannot split a hot key."""
    rng = np.random.default_rng(1)
    ranks = np.minimum(rng.zipf(1.3, size=records), 1000)
    keys = [f"customer-{r}".encode() for r in ranks]
    view = PartitionView("t", range(n))
    core = partitioning.registry.create("murmur2")
    counts = np.bincount([core.partition(k, None, view) for k in keys], minlength=n)
    print(f"\nmurmur2, {records:,} records whose keys follow a Zipf(1.3) popularity:")
    for p, c in enumerate(counts):
        print(f"  p{p:<2d} {c:7,} {bar(c / counts.max())}")
    print(f"  hottest key alone: {int((ranks == 1).sum()):,} records")


def expansion(keys: list[bytes]) -> None:
    print(f"\nkeys moved when a topic grows from N to N+1 partitions ({len(keys):,} keys)")
    print("  N -> N+1   murmur2 (modulo)   jump     ideal 1/(N+1)")
    mm, jp = partitioning.registry.create("murmur2"), partitioning.registry.create("jump")
    for n in (2, 4, 6, 8, 12, 24):
        a, b = PartitionView("t", range(n)), PartitionView("t", range(n + 1))
        moved_m = sum(mm.partition(k, None, a) != mm.partition(k, None, b) for k in keys)
        moved_j = sum(jp.partition(k, None, a) != jp.partition(k, None, b) for k in keys)
        print(f"  {n:2d} -> {n + 1:2d}   {moved_m / len(keys):6.1%} {bar(moved_m / len(keys), 20):20s}"
              f" {moved_j / len(keys):6.1%} {bar(moved_j / len(keys), 20):20s} "
              f"{1 / (n + 1):6.1%}")  # fmt: skip


def main() -> None:
    words = [f"user-{i}".encode() for i in range(100_000)]
    numbers = [str(i).encode() for i in range(100_000)]
    skew(words, 12, "keys 'user-0'..'user-99999'")
    skew(numbers, 12, "keys '0'..'99999'")
    hot_keys()
    expansion(words[:20_000])


if __name__ == "__main__":
    main()
