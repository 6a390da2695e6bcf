"""The sticky balancing engine shared by ``sticky`` and ``cooperative-sticky``.

Input: the validated group, the metadata, and each member's *claims* (partitions it held
before, already de-duplicated by :func:`resolve_claims`). Output: member -> partitions with

* **balance first** — with identical subscriptions, counts differ by at most one; otherwise no
  member could take a partition from a member owning two or more partitions more than it;
* **then stickiness** — with identical subscriptions the number of claims kept is the maximum
  any balanced assignment can keep; otherwise claims are only moved to restore balance;
* **rack preference** (KIP-881), when racks are known — partitions that must move or are new go
  to members with a replica on their rack where counts allow; kept claims are never moved for
  locality and balance is never traded for it.

Identical subscriptions take a fast path linear in the number of partitions; different
subscriptions take a general path (greedy fill of the most constrained topics first, then
moves from the most to the least loaded subscriber of each topic until balanced).
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
from collections.abc import Mapping, Sequence

from strategies.core import ClusterMetadata, TopicPartition
from strategies.group import PreparedGroup, java_str_key

log = logging.getLogger("strategies")

Claims = Mapping[str, tuple[Sequence[TopicPartition], int]]


def resolve_claims(
    g: PreparedGroup, cluster: ClusterMetadata, claims: Claims, assignor: str
) -> dict[str, list[TopicPartition]]:
    """Per member, the claimed partitions it may keep: existing, subscribed, and uncontested.

    A partition claimed by several members goes to the claim with the highest generation;
    claims of equal generation cancel each other (logged). Claims of partitions that no longer
    exist are dropped with a warning.
    """
    best: dict[TopicPartition, tuple[int, str]] = {}
    contested: set[TopicPartition] = set()
    counts = cluster.partition_counts
    for m in g.members:
        if m not in claims:
            continue
        parts, gen = claims[m]
        topics = g.topics[m]
        gone = 0
        for tp in parts:
            if not 0 <= tp[1] < counts.get(tp[0], 0):
                gone += 1
                continue
            if tp[0] not in topics:
                continue
            prev = best.get(tp)
            if prev is None:
                best[tp] = (gen, m)
            elif prev[1] == m:
                continue
            elif gen > prev[0]:
                best[tp] = (gen, m)
                contested.discard(tp)
            elif gen == prev[0]:
                contested.add(tp)
        if gone:
            log.warning("%s: member %r claims %d partition(s) that no longer exist; ignored",
                        assignor, m, gone)
    if contested:
        log.warning("%s: %d partition(s) claimed by several members in the same generation "
                    "(e.g. %s); treated as unowned", assignor, len(contested), min(contested))
    kept: dict[str, list[TopicPartition]] = {m: [] for m in g.members}
    for tp, (_, m) in best.items():
        if tp not in contested:
            kept[m].append(tp)
    for parts in kept.values():
        parts.sort()
    return kept


def balance(
    g: PreparedGroup,
    cluster: ClusterMetadata,
    kept: Mapping[str, list[TopicPartition]],
    racks: Mapping[str, str | None] | None = None,
) -> dict[str, list[TopicPartition]]:
    """A balanced assignment keeping as many ``kept`` claims as balance allows."""
    if not g.members:
        return {}
    first = g.topics[g.members[0]]
    if all(g.topics[m] == first for m in g.members):
        return _fast_path(g, cluster, kept, racks)
    return _general_path(g, cluster, kept, racks)


def _all_partitions(topics: Sequence[str], cluster: ClusterMetadata) -> list[TopicPartition]:
    counts = cluster.partition_counts
    return [TopicPartition(t, p) for t in topics for p in range(counts[t])]


def _fast_path(
    g: PreparedGroup,
    cluster: ClusterMetadata,
    kept: Mapping[str, list[TopicPartition]],
    racks: Mapping[str, str | None] | None,
) -> dict[str, list[TopicPartition]]:
    members = g.members
    topics = sorted(g.topics[members[0]], key=java_str_key)
    total = sum(cluster.partition_counts[t] for t in topics)
    q, r = divmod(total, len(members))
    quota = dict.fromkeys(members, q)
    over = sorted((m for m in members if len(kept[m]) > q), key=lambda m: -len(kept[m]))
    for m in over[:r]:
        quota[m] = q + 1
    extra = r - min(r, len(over))
    for m in members:
        if extra == 0:
            break
        if quota[m] == q:
            quota[m] = q + 1
            extra -= 1
    out = {m: kept[m][:quota[m]] for m in members}
    if any(out.values()):
        taken = {tp for parts in out.values() for tp in parts}
        free = [tp for tp in _all_partitions(topics, cluster) if tp not in taken]
    else:
        free = _all_partitions(topics, cluster)
    deficit = {m: quota[m] - len(out[m]) for m in members}
    if racks is not None:
        free = _rack_first(free, deficit, out, racks, cluster)
    _deal(free, deficit, out, members)
    return out


def _rack_first(
    free: list[TopicPartition],
    deficit: dict[str, int],
    out: dict[str, list[TopicPartition]],
    racks: Mapping[str, str | None],
    cluster: ClusterMetadata,
) -> list[TopicPartition]:
    """Give free partitions to same-rack members with room; return the ones left over."""
    by_rack: dict[str, deque[str]] = {}
    for m, d in deficit.items():
        rack = racks.get(m)
        if d > 0 and rack is not None:
            by_rack.setdefault(rack, deque()).append(m)
    if not by_rack:
        return free
    left: list[TopicPartition] = []
    replica_racks = cluster.replica_racks
    for tp in free:
        placed = False
        for rack in sorted(replica_racks.get(tp, ())):
            queue = by_rack.get(rack)
            if queue:
                m = queue.popleft()
                out[m].append(tp)
                deficit[m] -= 1
                if deficit[m] > 0:
                    queue.append(m)
                placed = True
                break
        if not placed:
            left.append(tp)
    return left


def _deal(
    free: list[TopicPartition],
    deficit: dict[str, int],
    out: dict[str, list[TopicPartition]],
    members: Sequence[str],
) -> None:
    """Deal ``free`` round-robin to members with room, in member order (sum of room == len)."""
    active = [m for m in members if deficit[m] > 0]
    i = 0
    level = 0
    while active:
        for m in active:
            out[m].append(free[i])
            i += 1
        level += 1
        active = [m for m in active if deficit[m] > level]


def _general_path(
    g: PreparedGroup,
    cluster: ClusterMetadata,
    kept: Mapping[str, list[TopicPartition]],
    racks: Mapping[str, str | None] | None,
) -> dict[str, list[TopicPartition]]:
    members = g.members
    pos = {m: i for i, m in enumerate(members)}
    subscribers: dict[str, list[str]] = {t: [] for t in g.all_topics}
    for m in members:
        for t in g.topics[m]:
            subscribers[t].append(m)
    count = {m: len(kept[m]) for m in members}
    sticky: dict[str, dict[str, list[TopicPartition]]] = {m: {} for m in members}
    fresh: dict[str, dict[str, list[TopicPartition]]] = {m: {} for m in members}
    taken: set[TopicPartition] = set()
    for m in members:
        for tp in kept[m]:
            sticky[m].setdefault(tp.topic, []).append(tp)
            taken.add(tp)

    # 1. Free partitions to the least loaded subscriber, most constrained topics first.
    order = sorted(g.all_topics, key=lambda t: (len(subscribers[t]), java_str_key(t)))
    heaps: dict[str, list[tuple[int, int, str]]] = {}
    for t in order:
        subs = subscribers[t]
        for tp in cluster.partitions_of(t):
            if tp in taken:
                continue
            if racks is not None and tp in cluster.replica_racks:
                m = _least_loaded_rack_aware(subs, count, pos, racks, cluster.replica_racks[tp])
            else:
                m = _pop_least_loaded(heaps, t, subs, count, pos)
            fresh[m].setdefault(t, []).append(tp)
            count[m] += 1

    # 2. Move partitions from the most to the least loaded subscriber until balanced.
    changed = True
    while changed:
        changed = False
        for t in g.all_topics:
            subs = subscribers[t]
            if len(subs) < 2:
                continue
            while True:
                taker = min(subs, key=lambda m: (count[m], pos[m]))
                donor = max(
                    subs,
                    key=lambda m, t=t: (
                        count[m] if (fresh[m].get(t) or sticky[m].get(t)) else -1, -pos[m]),
                )
                if count[donor] - count[taker] < 2:
                    break
                pool = fresh[donor].get(t) or sticky[donor][t]
                tp = _pick_for(pool, racks, racks.get(taker) if racks else None, cluster)
                fresh[taker].setdefault(t, []).append(tp)
                count[donor] -= 1
                count[taker] += 1
                changed = True

    return {
        m: [tp for d in (sticky[m], fresh[m]) for parts in d.values() for tp in parts]
        for m in members
    }


def _pop_least_loaded(
    heaps: dict[str, list[tuple[int, int, str]]],
    topic: str,
    subs: list[str],
    count: dict[str, int],
    pos: dict[str, int],
) -> str:
    """The least loaded subscriber of ``topic``, via a lazily refreshed heap (counts only grow)."""
    heap = heaps.get(topic)
    if heap is None:
        heap = [(count[m], pos[m], m) for m in subs]
        heapq.heapify(heap)
        heaps[topic] = heap
    while True:
        c, p, m = heap[0]
        if c == count[m]:
            heapq.heapreplace(heap, (c + 1, p, m))
            return m
        heapq.heapreplace(heap, (count[m], p, m))


def _least_loaded_rack_aware(
    subs: list[str],
    count: dict[str, int],
    pos: dict[str, int],
    racks: Mapping[str, str | None],
    replica_racks: frozenset[str],
) -> str:
    return min(subs, key=lambda m: (count[m], racks.get(m) not in replica_racks, pos[m]))


def _pick_for(
    pool: list[TopicPartition],
    racks: Mapping[str, str | None] | None,
    rack: str | None,
    cluster: ClusterMetadata,
) -> TopicPartition:
    """Remove and return a partition from ``pool``, one on ``rack`` if there is one."""
    if rack is not None and racks is not None:
        for i in range(len(pool) - 1, -1, -1):
            if rack in cluster.replica_racks.get(pool[i], ()):
                return pool.pop(i)
    return pool.pop()
