"""The sticky engine as it was before the general path was sped up, kept verbatim as the
reference the faster one must match exactly (do not edit: it is the bar, not code under test)."""

# ruff: noqa
# mypy: ignore-errors
from __future__ import annotations

import heapq
import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from itertools import chain, filterfalse
from types import MappingProxyType

from strategies.core import (
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    MemberSubscription,
    TopicPartition,
)
from strategies.group import PreparedGroup, has_racks, java_str_key, prepare
from strategies.identical import assign_identical, quotas
from strategies.locality import improve_locality

log = logging.getLogger("strategies")

Claim = tuple[Sequence[TopicPartition], int]
Claims = Mapping[str, Claim]


def sticky_assignment(
    group: GroupSubscription,
    cluster: ClusterMetadata,
    claims_of: Callable[[str, MemberSubscription], Claim],
    assignor: str,
    move_kept: bool = True,
) -> GroupAssignment:
    """Balance ``group`` keeping what each member claims (``claims_of(member_id, subscription)``
    gives the partitions it held and the generation), rack-aware when racks are known; with
    ``move_kept`` false no claim kept by balance is moved for locality."""
    g = prepare(group, cluster)
    kept = resolve_claims(g, cluster, {m: claims_of(m, group[m]) for m in g.members}, assignor)
    racks = {m: group[m].rack for m in g.members} if has_racks(group, cluster) else None
    topics = _common_topics(g)
    if racks is None and topics is not None:  # already sorted, as GroupAssignment keeps them
        return GroupAssignment(MappingProxyType(assign_identical(g.members, topics, cluster, kept)))
    return GroupAssignment.of(balance(g, cluster, kept, racks, move_kept))


def _common_topics(g: PreparedGroup) -> tuple[str, ...] | None:
    """The topics every member subscribes to if all subscribe to the same; else ``None``."""
    if not g.members:
        return None
    first = g.topics[g.members[0]]
    return tuple(first) if all(g.topics[m] == first for m in g.members) else None


def resolve_claims(
    g: PreparedGroup, cluster: ClusterMetadata, claims: Claims, assignor: str
) -> dict[str, list[TopicPartition]]:
    """Per member, the claimed partitions it may keep: existing, subscribed, and uncontested.

    A partition claimed by several members goes to the claim with the highest generation;
    claims of equal generation cancel each other (logged). Claims of partitions that no longer
    exist are dropped with a warning.
    """
    counts = cluster.partition_counts
    valid: dict[str, list[TopicPartition]] = {}
    for m in g.members:
        parts = claims[m][0] if m in claims else ()
        if not parts:
            valid[m] = []
            continue
        topics = g.topics[m]
        ok = [tp for tp in parts if tp[0] in topics and 0 <= tp[1] < counts[tp[0]]]
        if len(ok) != len(parts):
            gone = sum(1 for tp in parts if not 0 <= tp[1] < counts.get(tp[0], 0))
            if gone:
                log.warning("%s: member %r claims %d partition(s) that no longer exist; "
                            "ignored", assignor, m, gone)
        ok.sort()
        valid[m] = ok
    total = sum(len(v) for v in valid.values())
    if len(set().union(*valid.values())) == total:
        return valid
    return _resolve_conflicts(g, valid, {m: claims[m][1] for m in claims}, assignor)


def _resolve_conflicts(
    g: PreparedGroup,
    valid: dict[str, list[TopicPartition]],
    generations: Mapping[str, int],
    assignor: str,
) -> dict[str, list[TopicPartition]]:
    best: dict[TopicPartition, tuple[int, str]] = {}
    contested: set[TopicPartition] = set()
    for m in g.members:
        gen = generations.get(m, -1)
        for tp in valid[m]:
            prev = best.get(tp)
            if prev is not None and prev[1] == m:
                continue
            if prev is None or gen > prev[0]:
                best[tp] = (gen, m)
                contested.discard(tp)
            elif gen == prev[0]:
                contested.add(tp)
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
    move_kept: bool = True,
) -> dict[str, list[TopicPartition]] | dict[str, tuple[TopicPartition, ...]]:
    """A balanced assignment keeping as many ``kept`` claims as balance allows."""
    if not g.members:
        return {}
    topics = _common_topics(g)
    identical = topics is not None
    if topics is not None and racks is None:
        return assign_identical(g.members, topics, cluster, kept)
    if identical:
        out = _fast_path(g, cluster, kept, racks)
    else:
        out = _general_path(g, cluster, kept, racks)
    if racks is not None:
        previous = {tp: m for m, parts in kept.items() for tp in parts}
        improve_locality(out, previous, racks, cluster.replica_racks,
                         None if identical else g.topics, move_kept)
    return out


def _free_partitions(
    topics: Sequence[str], cluster: ClusterMetadata, taken: set[TopicPartition]
) -> list[TopicPartition]:
    """Partitions of ``topics`` not in ``taken``, in the order of ``topics``, then by number
    (the metadata's own partition objects)."""
    every = chain.from_iterable(map(cluster.partitions_of, topics))
    return list(filterfalse(taken.__contains__, every) if taken else every)


def _fast_path(
    g: PreparedGroup,
    cluster: ClusterMetadata,
    kept: Mapping[str, list[TopicPartition]],
    racks: Mapping[str, str | None] | None,
) -> dict[str, list[TopicPartition]]:
    members = g.members
    topics = sorted(g.topics[members[0]])
    total = sum(cluster.partition_counts[t] for t in topics)
    quota = quotas(members, total, {m: len(kept[m]) for m in members})
    if racks is None:
        out = {m: kept[m][:quota[m]] for m in members}
    else:
        out = {m: _local_first(kept[m], racks.get(m), cluster)[:quota[m]] for m in members}
    free = _free_partitions(topics, cluster, set().union(*out.values()))
    deficit = {m: quota[m] - len(out[m]) for m in members}
    if racks is not None:
        free = _rack_first(free, deficit, out, racks, cluster)
    _deal(free, deficit, out, members)
    return out


def _local_first(parts: list[TopicPartition], rack: str | None, cluster: ClusterMetadata
                 ) -> list[TopicPartition]:
    """``parts`` with those having a replica on ``rack`` first (each group in order)."""
    if rack is None:
        return parts
    replica_racks = cluster.replica_racks
    return sorted(parts, key=lambda tp: rack not in replica_racks.get(tp, ()))


def _rack_first(
    free: list[TopicPartition],
    deficit: dict[str, int],
    out: dict[str, list[TopicPartition]],
    racks: Mapping[str, str | None],
    cluster: ClusterMetadata,
) -> list[TopicPartition]:
    """Give free partitions to same-rack members with room; return the ones left over.

    Among a partition's replica racks, the one with the most room left is chosen, so racks
    fill evenly.
    """
    by_rack: dict[str, deque[str]] = {}
    room: dict[str, int] = {}
    for m, d in deficit.items():
        rack = racks.get(m)
        if d > 0 and rack is not None:
            by_rack.setdefault(rack, deque()).append(m)
            room[rack] = room.get(rack, 0) + d
    if not by_rack:
        return free
    left: list[TopicPartition] = []
    replica_racks = cluster.replica_racks
    for tp in free:
        options = [r for r in replica_racks.get(tp, ()) if room.get(r)]
        if not options:
            left.append(tp)
            continue
        rack = max(sorted(options), key=room.__getitem__)
        queue = by_rack[rack]
        m = queue.popleft()
        out[m].append(tp)
        deficit[m] -= 1
        room[rack] -= 1
        if deficit[m] > 0:
            queue.append(m)
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
        k = len(active)
        top = min(deficit[m] for m in active)
        block = free[i:i + k * (top - level)]
        for j, m in enumerate(active):
            out[m].extend(block[j::k])
        i += len(block)
        level = top
        active = [m for m in active if deficit[m] > level]


def _general_path(
    g: PreparedGroup,
    cluster: ClusterMetadata,
    kept: Mapping[str, list[TopicPartition]],
    racks: Mapping[str, str | None] | None,
) -> dict[str, list[TopicPartition]]:
    members = g.members
    pos = {m: i for i, m in enumerate(members)}
    subscribers = g.subscribers()
    count = {m: len(kept[m]) for m in members}
    sticky: dict[str, dict[str, list[TopicPartition]]] = {m: {} for m in members}
    fresh: dict[str, dict[str, list[TopicPartition]]] = {m: {} for m in members}
    taken: set[TopicPartition] = set()
    for m in members:
        for tp in kept[m]:
            sticky[m].setdefault(tp.topic, []).append(tp)
            taken.add(tp)

    by_set: dict[frozenset[str], tuple[str, ...]] = {}
    ordered = {m: by_set.get(ts) or by_set.setdefault(ts, tuple(sorted(ts, key=java_str_key)))
               for m, ts in g.topics.items()}

    # 1. Free partitions to the least loaded subscriber, most constrained topics first.
    order = sorted(g.all_topics, key=lambda t: (len(subscribers[t]), java_str_key(t)))
    pools = {t: _free_partitions((t,), cluster, taken) for t in order}
    if racks is None and not taken:
        _fill_to_level(members, ordered, count, pos, pools, fresh)
    for t in order:
        subs = subscribers[t]
        free = pools[t]
        if racks is None:
            _water_fill(free, subs, count, pos, fresh)
            continue
        for tp in free:
            m = _least_loaded_rack_aware(subs, count, pos, racks,
                                         cluster.replica_racks.get(tp, frozenset()))
            fresh[m].setdefault(t, []).append(tp)
            count[m] += 1

    # 2. Improve along chains: while some member could pass one partition down a chain of
    #    subscribers to a member owning two or more fewer, do it — first with newly placed
    #    partitions only (free of cost), then, when none is left, moving kept ones (one chain
    #    at a time, so newly placed partitions are tried again after each).
    poorest = _Poorest(count, pos, subscribers, g.topics)
    while True:
        while True:
            while _direct_moves(count, pos, ordered, poorest, fresh, racks, cluster):
                pass
            ends = _apply_chains(members, count, pos, subscribers, ordered, (fresh,), fresh,
                                 sticky, racks, cluster, many=True)
            if not ends:
                break
            poorest.changed(ends)
        ends = _apply_chains(members, count, pos, subscribers, ordered, (fresh, sticky), fresh,
                             sticky, racks, cluster, many=False)
        if not ends:
            break
        poorest.changed(ends)

    return {m: list(chain.from_iterable(chain(sticky[m].values(), fresh[m].values())))
            for m in members}


class _Poorest:
    """Per topic, its subscribers in a heap by (count, member order), refreshed lazily: every
    count change pushes the member again into the heaps of its topics; stale entries are
    dropped when they surface."""

    def __init__(self, count: dict[str, int], pos: dict[str, int],
                 subscribers: Mapping[str, list[str]], topics: Mapping[str, frozenset[str]]
                 ) -> None:
        self.count = count
        self.pos = pos
        self.topics = topics
        self.heaps = {t: [(count[m], pos[m], m) for m in subs] for t, subs in subscribers.items()}
        for heap in self.heaps.values():
            heapq.heapify(heap)

    def of(self, topic: str) -> str:
        heap = self.heaps[topic]
        count = self.count
        while heap[0][0] != count[heap[0][2]]:
            heapq.heappop(heap)
        return heap[0][2]

    def changed(self, members: Sequence[str]) -> None:
        for m in members:
            entry = (self.count[m], self.pos[m], m)
            for t in self.topics[m]:
                heapq.heappush(self.heaps[t], entry)


def _direct_moves(
    count: dict[str, int],
    pos: dict[str, int],
    ordered: Mapping[str, tuple[str, ...]],
    poorest: _Poorest,
    fresh: dict[str, dict[str, list[TopicPartition]]],
    racks: Mapping[str, str | None] | None,
    cluster: ClusterMetadata,
) -> bool:
    """Chains of one step: richest members first, each newly placed partition goes to the
    poorest subscriber of its topic while they differ by two or more. ``True`` if any moved."""
    low = min(count.values())
    rich = sorted((m for m in count if count[m] - low >= 2), key=lambda m: (-count[m], pos[m]))
    moved = False
    for src in rich:
        mine = fresh[src]
        for topic in ordered[src]:
            pool = mine.get(topic)
            while pool:
                dst = poorest.of(topic)
                if count[src] - count[dst] < 2:
                    break
                tp = _pick_for(pool, racks, racks.get(dst) if racks else None, cluster)
                fresh[dst].setdefault(topic, []).append(tp)
                count[src] -= 1
                count[dst] += 1
                poorest.changed((src, dst))
                moved = True
    return moved


def _apply_chains(
    members: Sequence[str],
    count: dict[str, int],
    pos: dict[str, int],
    subscribers: Mapping[str, list[str]],
    ordered: Mapping[str, tuple[str, ...]],
    holdings: tuple[dict[str, dict[str, list[TopicPartition]]], ...],
    fresh: dict[str, dict[str, list[TopicPartition]]],
    sticky: dict[str, dict[str, list[TopicPartition]]],
    racks: Mapping[str, str | None] | None,
    cluster: ClusterMetadata,
    many: bool,
) -> list[str]:
    """Apply chains of moves, each taking one partition from a member to one owning two or
    more fewer, and return the members at their ends; none when there is no such chain — then
    the counts are optimal for the partitions ``holdings`` allow to move.

    Each step ``(src, dst, topic)`` moves one of ``src``'s partitions of ``topic`` (found in
    ``holdings``) to ``dst``, a subscriber of ``topic``; only the ends change count, and the
    sum of squared counts strictly drops. One breadth-first search from every member at once,
    richest first, labels each member with the richest member that can reach it (each topic is
    expanded once: its subscribers are all reached from the first member holding it); then the
    poorest members take a chain from their label while the chain is still valid (``many``),
    or only the first one.
    """
    richest = sorted(members, key=lambda m: (-count[m], pos[m]))
    low = min(count.values())
    root: dict[str, str] = {}
    parent: dict[str, tuple[str, str]] = {}
    expanded: set[str] = set()
    for source in richest:
        if count[source] - low < 2:
            break
        if source in root:
            continue
        root[source] = source
        frontier = [source]
        while frontier:
            nxt: list[str] = []
            for src in frontier:
                held = [t for t in ordered[src]
                        if t not in expanded and any(h[src].get(t) for h in holdings)]
                for topic in held:
                    expanded.add(topic)
                    for dst in subscribers[topic]:
                        if dst not in root:
                            root[dst] = source
                            parent[dst] = (src, topic)
                            nxt.append(dst)
            frontier = nxt
    ends: list[str] = []
    for dst in sorted(parent, key=lambda m: (count[m], pos[m])):
        source = root[dst]
        if count[source] - count[dst] < 2:
            continue
        chain = []
        node = dst
        while node != source:
            prev, via = parent[node]
            chain.append((prev, node, via))
            node = prev
        if not all(any(h[src].get(topic) for h in holdings) for src, _, topic in chain):
            continue
        for src, to, topic in reversed(chain):
            pool = fresh[src].get(topic) or sticky[src][topic]
            tp = _pick_for(pool, racks, racks.get(to) if racks else None, cluster)
            fresh[to].setdefault(topic, []).append(tp)
        count[source] -= 1
        count[dst] += 1
        ends += (source, dst)
        if not many:
            break
    return ends


def _fill_to_level(
    members: Sequence[str],
    topics: Mapping[str, tuple[str, ...]],
    count: dict[str, int],
    pos: dict[str, int],
    pools: dict[str, list[TopicPartition]],
    fresh: dict[str, dict[str, list[TopicPartition]]],
) -> None:
    """Members with the fewest topics first, each takes free partitions up to the mean count
    (rounded down), from its topics with the most left; what is left stays in ``pools``.

    Used for a fresh group (nothing kept), where it leaves little for the hand-overs to fix;
    with kept partitions the topic-by-topic filling alone leaves more chains of newly placed
    partitions to use instead of kept ones."""
    total = sum(count.values()) + sum(len(p) for p in pools.values())
    level = total // len(members)
    for m in sorted(members, key=lambda m: (len(topics[m]), pos[m])):
        room = level - count[m]
        while room > 0:
            best = None
            for t in topics[m]:
                if pools[t] and (best is None or len(pools[t]) > len(pools[best])):
                    best = t
            if best is None:
                break
            pool = pools[best]
            take = pool[len(pool) - min(room, len(pool)):]
            del pool[len(pool) - len(take):]
            fresh[m].setdefault(best, []).extend(take)
            count[m] += len(take)
            room -= len(take)


def _water_fill(
    free: list[TopicPartition],
    subs: list[str],
    count: dict[str, int],
    pos: dict[str, int],
    fresh: dict[str, dict[str, list[TopicPartition]]],
) -> None:
    """Give ``free`` (partitions of one topic) to ``subs`` as one at a time to the least loaded
    would, in bulk: the least loaded are raised to a common level, the first in member order
    taking one more; each takes a contiguous run of ``free``."""
    if not free:
        return
    order = sorted(subs, key=lambda m: (count[m], pos[m]))
    n = len(free)
    j = 0
    prefix = 0
    while j < len(order) and count[order[j]] * j - prefix <= n:
        prefix += count[order[j]]
        j += 1
    level, extra = divmod(n + prefix, j)
    start = 0
    for m in sorted(order[:j], key=pos.__getitem__):
        take = level + (1 if extra > 0 else 0) - count[m]
        extra -= 1
        if take > 0:
            fresh[m].setdefault(free[0].topic, []).extend(free[start:start + take])
            count[m] += take
            start += take


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
