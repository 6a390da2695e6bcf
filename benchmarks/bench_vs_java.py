"""Our sticky and cooperative-sticky against Java's own (kafka-clients of the broker version), same
inputs, same run.

Scenarios (identical subscriptions): 1,000 members x 10,000 partitions (10 topics x 1,000) and
2,000 members x 1,000,000 partitions (500 topics x 2,000); for each, the initial assignment and
the rebalance after one member leaves (everyone else sends what it owns: user data for
``sticky``, owned partitions and generation for ``cooperative-sticky``).

Java runs in one long-lived JVM (``kpart.reference``), timed in-JVM around ``assign`` after
warm-up calls, so the figure is the steady state after JIT compilation; its ``Cluster`` is built
before the timed call and reused by every call. Ours is timed around ``assign`` (the previous
assignment already encoded, decoding included, as in Java) in two ways:

* **warm** — the same ``ClusterMetadata`` object for every call, as a group leader keeps its
  metadata across rebalances; ``ClusterMetadata`` owns its partition objects, built on the
  first use, so warm calls reuse them. This is the like-for-like figure (Java's ``Cluster`` is
  also built outside its timed call) and the one the ``warm/Java`` ratio compares.
* **cold** — a fresh ``ClusterMetadata`` built inside the timed call, so creating every
  partition object is included: the cost of the first rebalance after new metadata arrives.
  ``cold/Java`` is printed as well.

With each, the resident memory of this process before the call and its peak during it
(MiB, sampled). ``compiled core`` says whether ``strategies._stickyext`` was in use.

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
from strategies.identical import COMPILED  # noqa: E402
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
    counts = dict(cluster.partition_counts)
    print(f"\n{members:,} members x {partitions:,} partitions ({topics} topics), identical subscriptions")
    print(f"{'assignor':<20} {'event':<8} {'warm s':>8} {'cold s':>8} {'Java s':>8} {'warm/Java':>10} "
          f"{'cold/Java':>10} {'RSS MiB warm':>13} {'RSS MiB cold':>13} {'moved ours/Java':>16} "
          f"{'spread':>7}")

    def row(name: str, event: str, sub: GroupSubscription, answer_s: float,
            moved_text: str, java_spread: int) -> GroupAssignment:
        assignor = get_assignor(name)
        assignor.assign(sub, cluster)  # the metadata has been seen before: the warm case
        warm_s, warm_mem, out = ours_timed(lambda: assignor.assign(sub, cluster), runs)
        cold_s, cold_mem, _ = ours_timed(lambda: assignor.assign(sub, ClusterMetadata(counts)), runs)
        print(f"{name:<20} {event:<8} {warm_s:>8.3f} {cold_s:>8.3f} {answer_s:>8.3f} "
              f"{warm_s / answer_s:>10.2f} {cold_s / answer_s:>10.2f} {warm_mem:>13} {cold_mem:>13} "
              f"{moved_text:>16} {spread(out):>3}/{java_spread}", flush=True)
        return out

    for name in ("sticky", "cooperative-sticky"):
        answer = java.run(name, group, cluster, warmup=warmup, repeat=repeat)
        java_s = statistics.median(answer.nanoseconds) / 1e9
        mine = row(name, "initial", group, java_s, "-", spread(answer.assignment))
        ours_in, _ = after_leave(name, group, mine, 1)
        _, java_in = after_leave(name, group, answer.assignment, 1)
        answer2 = java.run(name, java_in, cluster, warmup=warmup, repeat=repeat)
        java_s = statistics.median(answer2.nanoseconds) / 1e9
        mine2 = get_assignor(name).assign(ours_in, cluster)
        moved_text = f"{moved(mine, mine2):,}/{moved(answer.assignment, answer2.assignment):,}"
        row(name, "leave", ours_in, java_s, moved_text, spread(answer2.assignment))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-large", action="store_true", help="only 1,000 x 10,000")
    parser.add_argument("--heap", default="6g", help="Java heap for the reference JVM (default 6g)")
    args = parser.parse_args()
    with JavaReference(heap=args.heap) as java:
        print("Java: median of the timed calls after warm-up, in-JVM; ours: best of the runs; "
              f"compiled core: {'yes' if COMPILED else 'no (pure Python)'}.")
        scenario(java, 1_000, 10, warmup=50, repeat=10, runs=3)
        if not args.skip_large:
            scenario(java, 2_000, 500, warmup=2, repeat=3, runs=1)


if __name__ == "__main__":
    main()
