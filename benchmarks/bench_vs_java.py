"""Our sticky and cooperative-sticky against Java's own (kafka-clients of the broker version), same
inputs, same run.

Scenarios (identical subscriptions): 1,000 members x 10,000 partitions (10 topics x 1,000) and
2,000 members x 1,000,000 partitions (500 topics x 2,000); for each, the initial assignment and
the rebalance after one member leaves (everyone else sends what it owns: user data for
``sticky``, owned partitions and generation for ``cooperative-sticky``).

Java runs in one long-lived JVM (``kpart.reference``), timed in-JVM around ``assign`` after
warm-up calls, so the figure is the steady state after JIT compilation. Ours is timed around
``assign`` (the previous assignment already encoded, decoding included, as in Java), with the
resident memory of this process before the call and its peak during it. Prints seconds and ours / Java.

Run: ``python benchmarks/bench_vs_java.py`` (``--skip-large`` for the 10,000-partition case only).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import replace

warnings.filterwarnings("ignore", category=DeprecationWarning)

import psutil  # noqa: E402

from kpart.reference import JavaReference  # noqa: E402
from strategies import ClusterMetadata, GroupAssignment, MemberSubscription, get_assignor  # noqa: E402
from strategies.core import GroupSubscription  # noqa: E402
from strategies.metrics import moved  # noqa: E402


def group_of(members: int, topics: int) -> tuple[dict[str, MemberSubscription], ClusterMetadata, int]:
    names = [f"topic-{i:03d}" for i in range(topics)]
    per_topic = 1_000 if topics == 10 else 2_000
    cluster = ClusterMetadata(dict.fromkeys(names, per_topic))
    subscribed = frozenset(names)
    ids = [f"consumer-{i:05d}-{(i * 7919) % 10007:05d}" for i in range(members)]
    return {m: MemberSubscription(m, subscribed) for m in ids}, cluster, per_topic * topics


def after_leave(name: str, group: GroupSubscription, first: GroupAssignment,
                generation: int) -> tuple[dict[str, MemberSubscription], dict[str, MemberSubscription]]:
    """(ours, Java's) subscriptions after the first member leaves, each as its members send it."""
    assignor = get_assignor(name)
    leaver = next(iter(group))
    java: dict[str, MemberSubscription] = {}
    ours: dict[str, MemberSubscription] = {}
    for m, sub in group.items():
        if m == leaver:
            continue
        owned = first.owned[m]
        java[m] = replace(sub, owned_partitions=owned, generation=generation)
        if name == "sticky":  # eager: no owned partitions; the previous assignment is in user data
            data = assignor.encode_user_data(owned, generation)
            ours[m] = replace(sub, generation=generation, user_data=data)
        else:
            ours[m] = replace(sub, owned_partitions=owned, generation=generation,
                              user_data=assignor.encode_user_data(owned, generation))
    return ours, java


def ours_timed(fn: Callable[[], GroupAssignment], runs: int) -> tuple[float, str, GroupAssignment]:
    """Best of ``runs`` calls in seconds, "RSS before / peak RSS during" (MiB), last result."""
    proc = psutil.Process()
    gc.collect()
    before = proc.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            peak[0] = max(peak[0], proc.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    best = float("inf")
    out = None
    try:
        for _ in range(runs):
            gc.collect()
            started = time.perf_counter()
            out = fn()
            best = min(best, time.perf_counter() - started)
    finally:
        done.set()
        sampler.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    assert out is not None
    return best, f"{before / 2**20:,.0f}/{peak[0] / 2**20:,.0f}", out


def spread(out: GroupAssignment) -> int:
    counts = out.counts().values()
    return max(counts) - min(counts)


def scenario(java: JavaReference, members: int, topics: int, warmup: int, repeat: int, runs: int) -> None:
    group, cluster, partitions = group_of(members, topics)
    print(f"\n{members:,} members x {partitions:,} partitions ({topics} topics), identical subscriptions")
    print(f"{'assignor':<20} {'event':<8} {'ours s':>9} {'Java s':>9} {'ours/Java':>10} "
          f"{'RSS MiB before/peak':>20} {'moved ours/Java':>16} {'spread':>7}")
    for name in ("sticky", "cooperative-sticky"):
        assignor = get_assignor(name)
        mine_s, mine_peak, mine = ours_timed(lambda a=assignor: a.assign(group, cluster), runs)
        answer = java.run(name, group, cluster, warmup=warmup, repeat=repeat)
        java_s = statistics.median(answer.nanoseconds) / 1e9
        print(f"{name:<20} {'initial':<8} {mine_s:>9.3f} {java_s:>9.3f} {mine_s / java_s:>10.1f} "
              f"{mine_peak:>20} {'-':>16} {spread(mine):>3}/{spread(answer.assignment)}")
        ours_in, _ = after_leave(name, group, mine, 1)
        _, java_in = after_leave(name, group, answer.assignment, 1)
        mine_s, mine_peak, mine2 = ours_timed(lambda a=assignor, g=ours_in: a.assign(g, cluster), runs)
        answer2 = java.run(name, java_in, cluster, warmup=warmup, repeat=repeat)
        java_s = statistics.median(answer2.nanoseconds) / 1e9
        moved_ours = moved(mine, mine2)
        moved_java = moved(answer.assignment, answer2.assignment)
        print(f"{name:<20} {'leave':<8} {mine_s:>9.3f} {java_s:>9.3f} {mine_s / java_s:>10.1f} "
              f"{mine_peak:>20} {f'{moved_ours:,}/{moved_java:,}':>16} "
              f"{spread(mine2):>3}/{spread(answer2.assignment)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-large", action="store_true", help="only 1,000 x 10,000")
    parser.add_argument("--heap", default="6g", help="Java heap for the reference JVM (default 6g)")
    args = parser.parse_args()
    with JavaReference(heap=args.heap) as java:
        print("Java: median of the timed calls after warm-up, in-JVM; ours: best of the runs.")
        scenario(java, 1_000, 10, warmup=50, repeat=10, runs=3)
        if not args.skip_large:
            scenario(java, 2_000, 500, warmup=2, repeat=3, runs=1)


if __name__ == "__main__":
    main()
