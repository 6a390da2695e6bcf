"""The sticky balancing engine shared by ``sticky`` and ``cooperative-sticky``.

Input: the validated group, the metadata, and each member's *claims* (partitions it held
before, already de-duplicated by :func:`resolve_claims`). Output: member -> partitions with

* **balance first** — with identical subscriptions, counts differ by at most one; otherwise the
  counts are optimal: no chain of hand-overs between subscribers could move a partition from a
  member to one owning two or more fewer (so, in particular, no member could take a partition
  from a member owning two or more more than it);
* **then stickiness** — with identical subscriptions the number of claims kept is the maximum
  any balanced assignment can keep; otherwise claims move only when no chain of newly placed
  partitions can restore balance instead. When the claims are part of some count-optimal
  assignment, all of them are kept (which is why cooperative rebalances settle in two rounds);
* **rack preference** (KIP-881), when racks are known — partitions that must move or are new go
  to members with a replica on their rack where counts allow; then count-preserving swaps
  (:mod:`strategies.locality`) raise locality, moving a kept claim only in a swap that gains
  a local partition, at most two moves per partition gained (never with ``move_kept`` false);
  balance is never traded for locality.

Identical subscriptions take a fast path linear in the number of partitions (without racks:
:mod:`strategies.identical`, in index space over the metadata's own partition objects, with an
optional compiled core); different
subscriptions take a general path: free partitions go to the least loaded subscribers, most
constrained topics first (in bulk, by water-filling each topic's subscribers), then direct
hand-overs topic by topic and improving chains of hand-overs run until none is left — first
through newly placed partitions, then through any. Chains are found by one breadth-first search
from all members at once, richest first, expanding each topic once, so a pass costs one walk
over the subscriptions and applies many chains. The filling of a fresh group and the cut of
members holding one run of consecutive partitions run in the same optional compiled core,
each with a pure-Python twin giving the identical answer.
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from itertools import chain, filterfalse
from operator import itemgetter
from types import MappingProxyType

from strategies.core import (
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    MemberSubscription,
    TopicPartition,
)
from strategies.group import PreparedGroup, has_racks, prepare
from strategies.identical import _stickyext, assign_identical, quotas
from strategies.locality import improve_locality

log = logging.getLogger("strategies")

Claim = tuple[Sequence[TopicPartition], int]
Claims = Mapping[str, Claim]
_Holdings = dict[str, dict[str, list[TopicPartition]]]


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
    if racks is None and g.members:  # already sorted, as GroupAssignment keeps them
        sticky, fresh = _general_path(g, cluster, kept, None)
        return GroupAssignment(MappingProxyType(_sorted_holdings(g, sticky, fresh,
                                                                 cluster)))
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
        sticky, fresh = _general_path(g, cluster, kept, racks)
        if racks is None:
            return _sorted_holdings(g, sticky, fresh, cluster)
        out = {m: list(chain.from_iterable(chain(sticky[m].values(), fresh[m].values())))
               for m in g.members}
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
) -> tuple[_Holdings, _Holdings]:
    """Per member and topic, the claims it keeps and the partitions newly placed with it."""
    members = g.members
    pos = dict(zip(members, range(len(members)), strict=True))
    subscribers = g.subscribers()
    held = list(map(kept.__getitem__, members))
    count = dict(zip(members, map(len, held), strict=True))
    fresh: _Holdings = {m: {} for m in members}
    taken: set[TopicPartition] = set()
    if not any(held):  # nothing kept: one empty holding, never written to, for all
        sticky: _Holdings = dict.fromkeys(members, {})
    else:
        sticky = {m: {} for m in members}
        for m, parts in zip(members, held, strict=True):
            for tp in parts:
                sticky[m].setdefault(tp.topic, []).append(tp)
                taken.add(tp)

    rank = {t: i for i, t in enumerate(g.all_topics)}  # all_topics is in Java string order
    by_set = {ts: tuple(sorted(ts, key=rank.__getitem__)) for ts in set(g.topics.values())}
    ordered = dict(zip(g.topics, map(by_set.__getitem__, g.topics.values()), strict=True))

    # 1. Free partitions to the least loaded subscriber, most constrained topics first.
    order = sorted(g.all_topics, key=lambda t: len(subscribers[t]))  # stable: then Java order
    if racks is None and not taken:
        pools = _fill_to_level(members, ordered, g.all_topics, count, cluster, fresh)
    else:
        pools = {t: _free_partitions((t,), cluster, taken) for t in order}
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

    return sticky, fresh


def _sorted_holdings(g: PreparedGroup, sticky: _Holdings, fresh: _Holdings,
                     cluster: ClusterMetadata) -> dict[str, tuple[TopicPartition, ...]]:
    """Member -> its kept and newly placed partitions, sorted."""
    interned = {t: cluster.partitions_of(t) for t in g.all_topics}
    runs = (_runs_pure if _stickyext is None else _stickyext.runs)(g.members, sticky, fresh,
                                                                   interned)
    return {m: runs[m] if m in runs else _sorted_one(sticky[m], fresh[m]) for m in g.members}


def _runs_pure(members: tuple[str, ...], sticky: _Holdings, fresh: _Holdings,
               interned: dict[str, tuple[TopicPartition, ...]]
               ) -> dict[str, tuple[TopicPartition, ...]]:
    """The members holding nothing kept and newly placed partitions of one topic that are one
    run of consecutive partitions in order (as filled), with that run (twin of the compiled
    ``runs``); the others are left out."""
    out: dict[str, tuple[TopicPartition, ...]] = {}
    for m in members:
        placed = fresh[m]
        if sticky[m] or len(placed) != 1:
            continue
        (parts,) = placed.values()
        if parts:
            topic, first = parts[0]
            run = tuple(parts)
            if run == interned[topic][first:first + len(run)]:
                out[m] = run
    return out


def _sorted_one(kept: dict[str, list[TopicPartition]], placed: dict[str, list[TopicPartition]]
                ) -> tuple[TopicPartition, ...]:
    """``kept`` and ``placed`` as one sorted tuple (topic by topic, each topic's by number: the
    order of :class:`TopicPartition`, a topic's partitions being distinct)."""
    by_topic: dict[str, list[TopicPartition]] = {}
    for held in (kept, placed):
        for topic, parts in held.items():
            by_topic.setdefault(topic, []).extend(parts)
    number = itemgetter(1)
    return tuple(chain.from_iterable(
        sorted(parts, key=number) for _, parts in sorted(by_topic.items())))


class _Poorest:
    """Per topic, its subscribers in a heap by (count, member order), built when the topic is
    first asked about and refreshed lazily: every count change pushes the member again into
    the built heaps of its topics; stale entries are dropped when they surface."""

    def __init__(self, count: dict[str, int], pos: dict[str, int],
                 subscribers: Mapping[str, list[str]], topics: Mapping[str, frozenset[str]]
                 ) -> None:
        self.count = count
        self.pos = pos
        self.subscribers = subscribers
        self.topics = topics
        self.heaps: dict[str, list[tuple[int, int, str]]] = {}

    def of(self, topic: str) -> str:
        heap = self.heaps.get(topic)
        count = self.count
        if heap is None:
            pos = self.pos
            heap = self.heaps[topic] = [(count[m], pos[m], m) for m in self.subscribers[topic]]
            heapq.heapify(heap)
        while heap[0][0] != count[heap[0][2]]:
            heapq.heappop(heap)
        return heap[0][2]

    def changed(self, members: Sequence[str]) -> None:
        heaps = self.heaps
        if not heaps:
            return
        for m in members:
            entry = (self.count[m], self.pos[m], m)
            for t in self.topics[m]:
                heap = heaps.get(t)
                if heap is not None:
                    heapq.heappush(heap, entry)


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
    if max(count.values()) - low < 2:
        return False
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
    low = min(count.values())
    if max(count.values()) - low < 2:
        return []
    richest = sorted(members, key=count.__getitem__, reverse=True)  # stable: then member order
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
    all_topics: Sequence[str],
    count: dict[str, int],
    cluster: ClusterMetadata,
    fresh: dict[str, dict[str, list[TopicPartition]]],
) -> dict[str, list[TopicPartition]]:
    """Members with the fewest topics first, each takes free partitions up to the mean count
    (rounded down), from its topics with the most left (the first of its topics in Java order
    on a tie), each take the last ones left of that topic; returns what is left of each topic.

    Used for a fresh group (nothing kept, nothing taken), where it leaves little for the
    hand-overs to fix; with kept partitions the topic-by-topic filling alone leaves more
    chains of newly placed partitions to use instead of kept ones."""
    parts = {t: list(cluster.partitions_of(t)) for t in all_topics}
    left = {t: len(p) for t, p in parts.items()}
    level = (sum(count.values()) + sum(left.values())) // len(members)
    width = dict(zip(members, map(len, map(topics.__getitem__, members)), strict=True))
    order = sorted(members, key=width.__getitem__)  # stable: then member order
    fill = _fill_pure if _stickyext is None else _stickyext.fill
    fill(order, topics, count, level, left, parts, fresh)
    return {t: p[:left[t]] for t, p in parts.items()}


def _fill_pure(
    order: list[str],
    topics: Mapping[str, tuple[str, ...]],
    count: dict[str, int],
    level: int,
    left: dict[str, int],
    parts: dict[str, list[TopicPartition]],
    fresh: _Holdings,
) -> None:
    """The filling loop of :func:`_fill_to_level` (twin of the compiled ``fill``): each member
    of ``order`` takes up to ``level`` from the ends of ``parts`` (``left[t]`` of topic ``t``
    still free), the topic with the most left first."""
    size = left.__getitem__
    for m in order:
        mine = topics[m]
        room = start = level - count[m]
        if room <= 0 or not mine:
            continue
        got = fresh[m]  # empty: nothing is placed before; each topic is taken from once
        while True:
            best = mine[0] if len(mine) == 1 else max(mine, key=size)  # first with most left
            n = left[best]
            if n == 0:
                break
            take = room if room < n else n
            left[best] = n - take
            got[best] = parts[best][n - take:n]
            room -= take
            if room == 0:
                break
        count[m] += start - room


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
    order = sorted(subs, key=count.__getitem__)  # subs are in member order; the sort is stable
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
