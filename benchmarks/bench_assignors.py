"""Assignor speed: ours against kafka-python 3.0.12's built-ins, same input, same run.

Scenario 1 — 1,000 members x 10,000 partitions (10 topics x 1,000), identical subscriptions:
the initial assignment and the rebalance after one member leaves, for ``sticky`` and
``cooperative-sticky``, each timed through the kafka-python leader path (``assign(cluster,
members)`` on decoded subscriptions) for both libraries; ours also core-only. Prints seconds
and the ratio kafka-python / ours.

Scenario 2 — 300 members x 3,000 partitions, each member subscribed to a random subset of
10 topics (the general path), initial assignment, both libraries, with the count spread.

Scenario 2b — the general path against the identical-subscription path at the same size
(1,000 x 10,000 and 2,000 x 20,000, 10 topics), core only, initial assignment: CPU seconds of
each (best of three; CPU time, so a busy machine does not blur the ratio) and the ratio
general / identical.

Scenario 3 — 2,000 members x 1,000,000 partitions (500 topics x 2,000), identical
subscriptions, ours only (core): initial assignment and rebalance after one member leaves,
each in a fresh process, with its RSS before the call and the peak RSS during it (sampled).

Run: ``python benchmarks/bench_assignors.py`` (add ``--skip-large`` or ``--skip-baseline``).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import random
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

warnings.filterwarnings("ignore", category=DeprecationWarning)

import psutil  # noqa: E402
from kafka.coordinator.assignors.cooperative_sticky import (  # noqa: E402
    CooperativeStickyAssignor as KafkaCooperativeSticky,
)
from kafka.coordinator.assignors.sticky.sticky_assignor import (  # noqa: E402
    StickyPartitionAssignor as KafkaSticky,
)
from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription  # noqa: E402

from strategies import ClusterMetadata, MemberSubscription, TopicPartition, get_assignor  # noqa: E402
from strategies.codec import encode_sticky  # noqa: E402
from strategies.kafka_python import KafkaPythonAssignor, subscriptions_from_members  # noqa: E402

Sub = ConsumerProtocolSubscription


@dataclass
class Member:
    member_id: str
    metadata: Any
    group_instance_id: str | None = None


class Cluster:
    """The part of kafka-python's cluster metadata an assignor reads."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        n = self.counts.get(topic)
        return None if n is None else set(range(n))

    def topics(self, exclude_internal_topics: bool = True) -> set[str]:
        return set(self.counts)

    def brokers(self) -> list[Any]:
        return []


def wire_members(topics: list[str], ids: list[str], name: str,
                 previous: dict[str, list[tuple[str, int]]] | None, generation: int) -> list[Member]:
    """Members as a kafka-python leader receives them: encoded by each member, then decoded."""
    out = []
    for m in ids:
        prev = (previous or {}).get(m, [])
        by_topic: dict[str, list[int]] = {}
        for t, p in prev:
            by_topic.setdefault(t, []).append(p)
        if name == "sticky":
            user_data = encode_sticky([TopicPartition(t, p) for t, p in prev], generation) if prev else b""
            sub = Sub(version=0, topics=topics, user_data=user_data)
        else:
            owned = [Sub.TopicPartition(topic=t, partitions=ps) for t, ps in by_topic.items()]
            sub = Sub(version=3, topics=topics, user_data=b"", owned_partitions=owned,
                      generation_id=generation if prev else -1, rack_id=None)
        out.append(Member(m, Sub.decode(sub.encode())))
    return out


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def baseline(skip: bool, assignor_cls: type, cluster: Cluster, wire: list[Member],
             t_ours: float) -> tuple[float, str]:
    """kafka-python's seconds for the same input and the ratio to ours (NaN, "n/a" if skipped)."""
    if skip:
        return float("nan"), "n/a"
    t_base, _ = timed(assignor_cls().assign, cluster, wire)
    return t_base, f"{t_base / t_ours:.0f}x"


def partitions_of(wire_assignment: Any) -> list[tuple[str, int]]:
    return [(tp.topic, tp.partition) for tp in wire_assignment.partitions()]


def scenario_small(skip_baseline: bool) -> None:
    members, topics, per_topic = 1000, 10, 1000
    counts = {f"topic-{i:02d}": per_topic for i in range(topics)}
    names = sorted(counts)
    ids = [f"consumer-{i:04d}" for i in range(members)]
    cluster = Cluster(counts)
    print(f"== {members:,} members x {topics * per_topic:,} partitions "
          f"({topics} topics), identical subscriptions")
    print(f"{'assignor':<20}{'event':<12}{'kafka-python s':>16}{'ours s':>10}"
          f"{'ours core s':>13}{'ratio':>9}")
    baselines = {"sticky": KafkaSticky, "cooperative-sticky": KafkaCooperativeSticky}
    for name, baseline_cls in baselines.items():
        ours = KafkaPythonAssignor(name)
        core = get_assignor(name)
        initial = wire_members(names, ids, name, None, -1)
        t_ours, first = timed(ours.assign, cluster, initial)
        previous = {m: partitions_of(a) for m, a in first.items()}
        rejoin = wire_members(names, ids[1:], name, previous, 1)
        events = [("initial", initial), ("one leaves", rejoin)]
        for event, wire in events:
            t_ours, _ = timed(ours.assign, cluster, wire)
            group = subscriptions_from_members(wire)
            t_core, _ = timed(core.assign, group, ClusterMetadata(counts))
            t_base, ratio = baseline(skip_baseline, baseline_cls, cluster, wire, t_ours)
            print(f"{name:<20}{event:<12}{t_base:>16.2f}{t_ours:>10.3f}{t_core:>13.3f}"
                  f"{ratio:>9}", flush=True)


def scenario_general(skip_baseline: bool) -> None:
    members, topics, per_topic = 300, 10, 300
    rnd = random.Random(7)
    counts = {f"topic-{i:02d}": per_topic for i in range(topics)}
    names = sorted(counts)
    subs = {f"consumer-{i:04d}": sorted(rnd.sample(names, rnd.randint(1, topics)))
            for i in range(members)}
    wire = [Member(m, Sub.decode(Sub(version=0, topics=t, user_data=b"").encode()))
            for m, t in subs.items()]
    cluster = Cluster(counts)
    print(f"\n== {members} members x {topics * per_topic:,} partitions, each member a random "
          f"subset of the {topics} topics (general path), initial assignment")
    print(f"{'assignor':<20}{'kafka-python s':>16}{'ours s':>10}{'ratio':>9}{'ours spread':>13}")
    for name, baseline_cls in (("sticky", KafkaSticky),
                               ("cooperative-sticky", KafkaCooperativeSticky)):
        t_ours, result = timed(KafkaPythonAssignor(name).assign, cluster, wire)
        sizes = [len(a.partitions()) for a in result.values()]
        t_base, ratio = baseline(skip_baseline, baseline_cls, cluster, wire, t_ours)
        print(f"{name:<20}{t_base:>16.2f}{t_ours:>10.3f}{ratio:>9}"
              f"{max(sizes) - min(sizes):>13}", flush=True)


def cpu_timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """CPU seconds of ``fn(*args)`` (this process only) and its result."""
    gc.collect()
    start = time.process_time()
    result = fn(*args)
    return time.process_time() - start, result


def scenario_general_vs_identical() -> None:
    print("\n== general path (each member a random subset of 10 topics) against identical "
          "subscriptions, same size, core only, initial assignment")
    print(f"{'members x partitions':<24}{'identical cpu s':>16}{'general cpu s':>15}{'ratio':>8}"
          f"{'general spread':>16}")
    assignor = get_assignor("sticky")
    for members, per_topic in ((1000, 1000), (2000, 2000)):
        rnd = random.Random(7)
        counts = {f"topic-{i:02d}": per_topic for i in range(10)}
        names = sorted(counts)
        meta = ClusterMetadata(counts)
        same = {f"c-{i:04d}": MemberSubscription(f"c-{i:04d}", frozenset(names))
                for i in range(members)}
        mixed = {m: MemberSubscription(m, frozenset(rnd.sample(names, rnd.randint(1, 10))))
                 for m in same}
        t_same = min(cpu_timed(assignor.assign, same, meta)[0] for _ in range(3))
        runs = [cpu_timed(assignor.assign, mixed, meta) for _ in range(3)]
        t_mixed = min(t for t, _ in runs)
        sizes = runs[0][1].counts().values()
        print(f"{f'{members:,} x {10 * per_topic:,}':<24}{t_same:>16.3f}{t_mixed:>15.3f}"
              f"{t_mixed / t_same:>7.1f}x{max(sizes) - min(sizes):>16}", flush=True)


def _large_child(event: str, name: str, out: Any) -> None:
    members, topics, per_topic = 2000, 500, 2000
    counts = {f"topic-{i:03d}": per_topic for i in range(topics)}
    all_topics = frozenset(counts)
    meta = ClusterMetadata(counts)
    assignor = get_assignor(name)
    group = {f"consumer-{i:04d}": MemberSubscription(f"consumer-{i:04d}", all_topics)
             for i in range(members)}
    if event == "one leaves":
        first = assignor.assign(group, meta)
        group = {m: MemberSubscription(m, all_topics, owned_partitions=first.owned[m],
                                       generation=1,
                                       user_data=assignor.encode_user_data(first.owned[m], 1))
                 for m in list(group)[1:]}
        del first
    gc.collect()
    proc = psutil.Process()
    rss_before = proc.memory_info().rss
    peak = [rss_before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], proc.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    seconds, result = timed(assignor.assign, group, meta)
    done.set()
    sampler.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    counts_out = [len(v) for v in result.owned.values()]
    out.put((seconds, rss_before / 2**20, peak[0] / 2**20, min(counts_out), max(counts_out)))


def scenario_large() -> None:
    print("\n== 2,000 members x 1,000,000 partitions (500 topics x 2,000), identical "
          "subscriptions; target <= 10 s (Java's own test allows 30 s)")
    print(f"{'assignor':<20}{'event':<12}{'seconds':>9}{'vs 10 s':>9}{'RSS before MiB':>16}"
          f"{'peak MiB':>10}{'min..max':>10}")
    ctx = mp.get_context("spawn")
    for name in ("sticky", "cooperative-sticky"):
        for event in ("initial", "one leaves"):
            queue = ctx.Queue()
            proc = ctx.Process(target=_large_child, args=(event, name, queue))
            proc.start()
            seconds, before, peak, lo, hi = queue.get()
            proc.join()
            print(f"{name:<20}{event:<12}{seconds:>9.2f}{10 / seconds:>8.1f}x{before:>16.0f}"
                  f"{peak:>10.0f}{f'{lo}..{hi}':>10}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-large", action="store_true", help="skip scenario 3 (1,000,000 partitions)")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="do not run kafka-python's assignors (no ratios)")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}")
    scenario_small(args.skip_baseline)
    scenario_general(args.skip_baseline)
    scenario_general_vs_identical()
    if not args.skip_large:
        scenario_large()
    return 0


if __name__ == "__main__":
    sys.exit(main())
