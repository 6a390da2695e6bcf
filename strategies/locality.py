"""Rack locality (KIP-881) by count-preserving swaps, after the sticky balance is settled.

Input: a balanced assignment, each partition's previous owner, members' racks and the replica
racks. Two members swap one partition each when that raises the number of partitions with a
replica on their owner's rack; each member's count is unchanged, so balance never suffers.
A swap's *gain* is the local partitions it adds (1 or 2) and its *cost* the partitions it takes
from their previous owner (0, 1 or 2: a partition that is moving anyway — new, or taken from
another member — costs nothing to place elsewhere). Swaps run cheapest first:

1. cost 0 (moving partitions placed better);
2. gain 2 for cost 1;
3. gain 1 for cost 1, or gain 2 for cost 2;
4. gain 1 for cost 2 (two kept partitions trade places so that one becomes local);

and after each stage the free swaps run again. So a kept partition moves only in a swap that
gains at least one local partition and costs at most one move more than it gains (never more
than two moves per local partition gained), and never when no swap helps. Guarantees: every
member keeps its count and its subscriptions are respected; locality never drops; the result
is a pure function of the input.
"""

from __future__ import annotations

from collections.abc import Mapping

from strategies.core import TopicPartition

Racks = Mapping[TopicPartition, frozenset[str]]
_EMPTY: frozenset[str] = frozenset()

# (largest cost, smallest gain, cost allowed above the gain) at each stage; the free stage
# reruns between them.
_FREE = (0, 1, 0)
_STAGES = (_FREE, (1, 2, 0), _FREE, (2, 1, 0), _FREE, (2, 1, 1), _FREE)


def improve_locality(
    out: dict[str, list[TopicPartition]],
    previous: Mapping[TopicPartition, str],
    racks: Mapping[str, str | None],
    replica_racks: Racks,
    topics: Mapping[str, frozenset[str]] | None = None,
    move_kept: bool = True,
) -> None:
    """Swap partitions between members of ``out`` (in place) to raise rack locality.

    ``previous`` maps a partition to the member that owned it before; ``topics``, when given,
    restricts each member to its subscribed topics (``None``: identical subscriptions). With
    ``move_kept`` false only the free stage runs: no partition leaves its previous owner.
    """
    rack_list = sorted({r for r in racks.values() if r is not None})
    if not rack_list:
        return
    stages = _STAGES if move_kept else _STAGES[:1]
    _Swapper(out, previous, racks, replica_racks, topics, rack_list).run(stages)


class _Swapper:
    def __init__(self, out: dict[str, list[TopicPartition]], previous: Mapping[TopicPartition, str],
                 racks: Mapping[str, str | None], replica_racks: Racks,
                 topics: Mapping[str, frozenset[str]] | None, rack_list: list[str]) -> None:
        self.out = out
        self.previous = previous
        self.racks = racks
        self.replica = replica_racks
        self.topics = topics
        self.rack_list = rack_list
        self.holder = {tp: m for m, tps in out.items() for tp in tps}
        self.index = {tp: i for tps in out.values() for i, tp in enumerate(tps)}
        # Partners: partitions that a member on rack ``to`` would take without losing locality
        # (``to`` holds a replica, or the current holder's rack holds none), by where they sit.
        # bucket[(at_rack, to_rack, gain, kept)] -> partitions, checked when used.
        self.buckets: dict[tuple[str, str | None, int, bool], list[TopicPartition]] = {}
        for m in out:
            for tp in out[m]:
                self._offer(tp)

    def local(self, tp: TopicPartition, m: str) -> bool:
        rack = self.racks.get(m)
        return rack is not None and rack in self.replica.get(tp, _EMPTY)

    def cost(self, tp: TopicPartition, src: str, dst: str) -> int:
        prev = self.previous.get(tp)
        return (dst != prev) - (src != prev) if prev is not None else 0

    def _offer(self, tp: TopicPartition) -> None:
        m = self.holder[tp]
        at = self.racks.get(m)
        if at is None:
            return
        replicas = self.replica.get(tp, _EMPTY)
        here = at in replicas
        kept = self.previous.get(tp) == m
        for to in self.rack_list:
            if to == at:
                continue
            gain = (to in replicas) - here
            if gain >= 0:
                self.buckets.setdefault((at, to, gain, kept), []).append(tp)

    def run(self, stages: tuple[tuple[int, int, int], ...]) -> None:
        changed = True
        while changed:
            changed = False
            for max_cost, min_gain, slack in stages:
                while self._pass(max_cost, min_gain, slack):
                    changed = True

    def _pass(self, max_cost: int, min_gain: int, slack: int) -> bool:
        changed = False
        for a in self.out:
            ra = self.racks.get(a)
            for p in list(self.out[a]):
                if self.holder.get(p) != a or self.local(p, a):
                    continue
                if self._swap_one(p, a, ra, max_cost, min_gain, slack):
                    changed = True
        return changed

    def _swap_one(self, p: TopicPartition, a: str, ra: str | None, max_cost: int,
                  min_gain: int, slack: int) -> bool:
        for rb in sorted(self.replica.get(p, _EMPTY)):
            if rb == ra:
                continue
            for gain_q in (1, 0):
                if 1 + gain_q < min_gain:
                    continue
                for kept in (False, True):
                    bucket = self.buckets.get((rb, ra, gain_q, kept))
                    if not bucket:
                        continue
                    q = self._partner(bucket, p, a, rb, ra, gain_q, kept, max_cost,
                                      1 + gain_q + slack)
                    if q is not None:
                        self._swap(p, a, q, self.holder[q])
                        return True
        return False

    def _partner(self, bucket: list[TopicPartition], p: TopicPartition, a: str, rb: str,
                 ra: str | None, gain_q: int, kept: bool, max_cost: int, max_paid: int
                 ) -> TopicPartition | None:
        """A partner from ``bucket`` for ``p``; stale entries are dropped from its end."""
        i = len(bucket) - 1
        scanned = 0
        while i >= 0 and scanned < 256:
            q = bucket[i]
            scanned += 1
            b = self.holder.get(q)
            if b is None or self.racks.get(b) != rb or (self.previous.get(q) == b) != kept or \
                    (rb in self.replica.get(q, _EMPTY)) - (ra in self.replica.get(q, _EMPTY)) \
                    != -gain_q:
                if i == len(bucket) - 1:
                    bucket.pop()
                i -= 1
                continue
            cost = self.cost(p, a, b) + self.cost(q, b, a)
            if b != a and cost <= max_cost and cost <= max_paid and self._may_swap(p, a, q, b):
                if i == len(bucket) - 1:
                    bucket.pop()
                return q
            i -= 1
        return None

    def _may_swap(self, p: TopicPartition, a: str, q: TopicPartition, b: str) -> bool:
        if self.topics is None:
            return True
        return p.topic in self.topics[b] and q.topic in self.topics[a]

    def _swap(self, p: TopicPartition, a: str, q: TopicPartition, b: str) -> None:
        ip, iq = self.index[p], self.index[q]
        self.out[a][ip], self.out[b][iq] = q, p
        self.index[q], self.index[p] = ip, iq
        self.holder[p], self.holder[q] = b, a
        self._offer(p)
        self._offer(q)
