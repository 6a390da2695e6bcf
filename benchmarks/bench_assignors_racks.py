"""Rack locality (KIP-881): share of partitions read from a replica on the member's own rack.

Same group and cluster with and without rack-aware assignment (members with and without a
rack), for ``range``, ``sticky`` and ``cooperative-sticky``; also the count spread, to show
locality never costs balance. Replicas: 2 of 3 racks per partition (replication factor 2
spread round the racks), or a single rack (replication factor 1).

Run: ``python benchmarks/bench_assignors_racks.py``
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

from strategies import ClusterMetadata, MemberSubscription, TopicPartition, get_assignor
from strategies.metrics import rack_locality

RACKS = ["az-a", "az-b", "az-c"]


def cluster(topics: int, partitions: int, replicas: int) -> ClusterMetadata:
    racks = {}
    for t in range(topics):
        for p in range(partitions):
            first = (t + p) % len(RACKS)
            racks[TopicPartition(f"topic-{t}", p)] = frozenset(
                RACKS[(first + k) % len(RACKS)] for k in range(replicas))
    return ClusterMetadata({f"topic-{t}": partitions for t in range(topics)}, racks)


def main() -> int:
    members, topics, partitions = 90, 10, 60
    print(f"{members} members over {len(RACKS)} racks, {topics} topics x {partitions} partitions")
    print(f"{'replicas':<10}{'assignor':<20}{'rack-unaware':>14}{'rack-aware':>12}"
          f"{'spread':>8}{'seconds':>9}")
    for replicas in (1, 2):
        meta = cluster(topics, partitions, replicas)
        all_topics = frozenset(meta.partition_counts)
        racked = {f"m{i:03d}": MemberSubscription(f"m{i:03d}", all_topics, rack=RACKS[i % 3])
                  for i in range(members)}
        for name in ("range", "sticky", "cooperative-sticky"):
            assignor = get_assignor(name)
            plain = assignor.assign({m: replace(s, rack=None) for m, s in racked.items()}, meta)
            start = time.perf_counter()
            aware = assignor.assign(racked, meta)
            seconds = time.perf_counter() - start
            counts = aware.counts().values()
            print(f"{replicas:<10}{name:<20}{rack_locality(racked, meta, plain):>14.1%}"
                  f"{rack_locality(racked, meta, aware):>12.1%}"
                  f"{max(counts) - min(counts):>8}{seconds:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
