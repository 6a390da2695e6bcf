"""The general path (different subscriptions) is a pure function of its input, in any process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import random
from strategies import ClusterMetadata, MemberSubscription, TopicPartition, get_assignor
rnd = random.Random(3)
topics = [f"t{i}" for i in range(6)]
counts = {t: 24 if t < "t3" else rnd.randint(3, 40) for t in topics}
racks = {TopicPartition(t, p): frozenset(rnd.sample(["a", "b", "c"], rnd.randint(1, 2)))
         for t in topics for p in range(counts[t])}
for with_racks in (False, True):
    group = {f"m{i}": MemberSubscription(f"m{i}", frozenset(rnd.sample(topics, rnd.randint(1, 6))),
                                         rack=rnd.choice("abc") if with_racks else None)
             for i in range(17)}
    meta = ClusterMetadata(counts, racks if with_racks else {})
    for name in ("sticky", "cooperative-sticky"):
        first = get_assignor(name).assign(group, meta)
        group2 = {m: MemberSubscription(m, s.topics, owned_partitions=first.owned[m][1:],
                                        generation=1, rack=s.rack) for m, s in group.items()}
        print(sorted(first.owned.items()), sorted(get_assignor(name).assign(group2, meta).owned.items()))
"""


def run_with_hash_seed(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


def test_same_assignment_whatever_the_string_hash_seed() -> None:
    first = run_with_hash_seed("1")
    assert first.count("TopicPartition") > 100
    assert run_with_hash_seed("2") == first
    assert run_with_hash_seed("12345") == first
