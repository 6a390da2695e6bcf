"""Rack locality (KIP-881): share of partitions read from a replica on the member's own rack.

Same group and cluster with and without rack-aware assignment (members with and without a
rack), for ``range``, ``sticky`` and ``cooperative-sticky``; also the count spread, to show
locality never costs balance. Replicas: 2 of 3 racks per partition (replication factor 2
spread round the racks), or a single rack (replication factor 1).

Churn: random joins, leaves and partition growth over three racks, replicas on one or two
racks per partition, identical or mixed subscriptions; each settled rebalance's locality is
averaged and the partitions changing owner are summed, for the rack-aware sticky assignors and,
as the same-run baseline, the same churn with racks hidden from the assignor.

Run: ``python benchmarks/bench_assignors_racks.py``
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import replace

from strategies import ClusterMetadata, MemberSubscription, TopicPartition, get_assignor
from strategies.metrics import moved, rack_locality
from strategies.rounds import rebalance_rounds

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
    churn()
    return 0


def churn_events(seed: int, steps: int, mixed: bool) -> list[tuple[dict[str, MemberSubscription],
                                                                 ClusterMetadata]]:
    """The group and metadata after each of ``steps`` random events."""
    rnd = random.Random(seed)
    counts = {f"t{i}": rnd.randint(4, 24) for i in range(rnd.randint(2, 5))}
    racks: dict[TopicPartition, frozenset[str]] = {}
    group: dict[str, MemberSubscription] = {}
    out = []
    for step in range(steps):
        event = rnd.random()
        if not group or (event < 0.45 and len(group) < 14):
            mid = f"m{seed}-{step:03d}"
            topics = (frozenset(rnd.sample(sorted(counts), rnd.randint(1, len(counts))))
                      if mixed else frozenset(counts))
            group[mid] = MemberSubscription(mid, topics, rack=rnd.choice(RACKS))
        elif event < 0.85 and len(group) > 1:
            del group[rnd.choice(sorted(group))]
        else:
            counts[t := rnd.choice(sorted(counts))] += rnd.randint(1, 4)
        for t, n in counts.items():
            for p in range(n):
                racks.setdefault(TopicPartition(t, p), frozenset(rnd.sample(RACKS, rnd.randint(1, 2))))
        meta = ClusterMetadata(dict(counts), {tp: r for tp, r in racks.items()
                                              if tp.partition < counts[tp.topic]})
        out.append((dict(group), meta))
    return out


def run_churn(name: str, events: list[tuple[dict[str, MemberSubscription], ClusterMetadata]],
              aware: bool) -> tuple[float, int, int]:
    """Mean locality of the settled assignments, partitions moved, rounds run."""
    assignor = get_assignor(name)
    owned: dict[str, tuple[TopicPartition, ...]] = {}
    last = None
    localities, moves, rounds_run = [], 0, 0
    for gen, (group, meta) in enumerate(events):
        subs = {m: replace(s, owned_partitions=owned.get(m, ()), generation=gen,
                           user_data=assignor.encode_user_data(owned.get(m, ()), gen),
                           rack=s.rack if aware else None)
                for m, s in group.items()}
        rounds = rebalance_rounds(assignor, subs, meta, gen + 1) if "cooperative" in name \
            else [assignor.assign(subs, meta)]
        rounds_run += len(rounds)
        final = rounds[-1]
        localities.append(rack_locality(group, meta, final))
        if last is not None:
            moves += moved(last, final)
        last = final
        owned = dict(final.owned)
    return sum(localities) / len(localities), moves, rounds_run


def churn(seeds: int = 30, steps: int = 26) -> None:
    print(f"\nchurn: {seeds} groups x {steps} events, 3 racks, replicas on 1-2 racks")
    print(f"{'subscriptions':<15}{'assignor':<20}{'locality':>10}{'moved':>8}"
          f"{'unaware locality':>18}{'unaware moved':>15}")
    for mixed in (False, True):
        runs = [churn_events(seed, steps, mixed) for seed in range(seeds)]
        for name in ("sticky", "cooperative-sticky"):
            figures = [run_churn(name, events, aware) for aware in (True, False)
                       for events in runs]
            aware_runs, plain_runs = figures[:seeds], figures[seeds:]
            print(f"{'mixed' if mixed else 'identical':<15}{name:<20}"
                  f"{sum(f[0] for f in aware_runs) / seeds:>10.1%}"
                  f"{sum(f[1] for f in aware_runs):>8}"
                  f"{sum(f[0] for f in plain_runs) / seeds:>18.1%}"
                  f"{sum(f[1] for f in plain_runs):>15}")


if __name__ == "__main__":
    sys.exit(main())
