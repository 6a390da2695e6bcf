"""The weighted sticky assignor: balances **load** (per-partition weights), not counts.

Weights come from a callback ``weights(cluster) -> {TopicPartition: weight}`` (e.g. consumer
lag or bytes/s; :mod:`strategies.lag` reads lag through the admin client); partitions it leaves
out weigh ``default_weight``. The assignment is a pure function of the group, the metadata and
the weights the callback returns.

Guarantees, with ``w_max`` the heaviest partition and a member's *fair share* its topics'
weight divided among each topic's subscribers (``total / members`` with identical
subscriptions):

* every subscribed partition is owned by exactly one member;
* with identical subscriptions, every member's load is at most ``total / members + w_max``;
* stickiness: a member keeps its previous partitions, heaviest first, while its load stays
  within ``fair share + w_max``; the rest, and new partitions, go heaviest first to the least
  loaded subscriber;
* cooperative (KIP-429) and eager, as ``cooperative-sticky``: partitions changing owner are
  withheld for one round; with unchanged weights the group settles in two rounds, because a
  settled assignment is always within the keep limit.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Mapping

from strategies.balance import resolve_claims
from strategies.cooperative import CooperativeStickyAssignor
from strategies.core import (
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    RebalanceProtocol,
    TopicPartition,
)
from strategies.group import PreparedGroup, prepare

WeightFn = Callable[[ClusterMetadata], Mapping[TopicPartition, float]]


class WeightedStickyAssignor(CooperativeStickyAssignor):
    """Load-balancing sticky assignment; COOPERATIVE preferred, EAGER supported."""

    name = "weighted-sticky"
    protocols = (RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER)
    claims = {}  # balances load, not counts: no count claims

    def __init__(self, weights: WeightFn | None = None, default_weight: float = 1.0) -> None:
        _check_weight("default_weight", default_weight)
        self.weights = weights
        self.default_weight = float(default_weight)

    def target(self, group: GroupSubscription, cluster: ClusterMetadata,
               move_kept: bool = True) -> GroupAssignment:
        """The load-balanced placement (``move_kept`` is moot: weights ignore racks)."""
        g = prepare(group, cluster)
        claims = {m: self.claims_of(m, group[m]) for m in g.members}
        kept = resolve_claims(g, cluster, claims, self.name)
        weight = self.weights_for(g, cluster)
        return GroupAssignment.of(_place(g, cluster, kept, weight))

    def weights_for(self, g: PreparedGroup, cluster: ClusterMetadata) -> dict[TopicPartition, float]:
        """Weight of every subscribed partition (callback values, else ``default_weight``)."""
        given = dict(self.weights(cluster)) if self.weights is not None else {}
        out: dict[TopicPartition, float] = {}
        for t in g.all_topics:
            for tp in cluster.partitions_of(t):
                w = given.get(tp, self.default_weight)
                _check_weight(f"weight of {tp}", w)
                out[tp] = float(w)
        return out


def _check_weight(what: str, w: float) -> None:
    if not isinstance(w, (int, float)) or isinstance(w, bool) or not math.isfinite(w) or w < 0:
        raise ValueError(f"{what} must be a finite number >= 0, got {w!r}")


def _place(
    g: PreparedGroup,
    cluster: ClusterMetadata,
    kept: Mapping[str, list[TopicPartition]],
    weight: Mapping[TopicPartition, float],
) -> dict[str, list[TopicPartition]]:
    members = g.members
    if not members:
        return {}
    subscribers = g.subscribers()
    topic_weight = {t: sum(weight[tp] for tp in cluster.partitions_of(t)) for t in g.all_topics}
    w_max = max(weight.values(), default=0.0)
    share = {m: sum(topic_weight[t] / len(subscribers[t]) for t in g.topics[m]) for m in members}

    load = dict.fromkeys(members, 0.0)
    out: dict[str, list[TopicPartition]] = {m: [] for m in members}
    taken: set[TopicPartition] = set()
    for m in members:
        limit = share[m] + w_max
        for tp in sorted(kept[m], key=lambda tp: (-weight[tp], tp)):
            if load[m] + weight[tp] <= limit + 1e-9 or not out[m]:
                out[m].append(tp)
                load[m] += weight[tp]
                taken.add(tp)

    free = sorted((tp for tp in weight if tp not in taken), key=lambda tp: (-weight[tp], tp))
    pos = {m: i for i, m in enumerate(members)}
    heaps: dict[str, list[tuple[float, int, int, str]]] = {}
    for tp in free:
        heap = heaps.get(tp.topic)
        if heap is None:
            heap = [(load[m], len(out[m]), pos[m], m) for m in subscribers[tp.topic]]
            heapq.heapify(heap)
            heaps[tp.topic] = heap
        while True:
            lo, n, p, m = heap[0]
            if lo == load[m] and n == len(out[m]):
                break
            heapq.heapreplace(heap, (load[m], len(out[m]), p, m))
        out[m].append(tp)
        load[m] += weight[tp]
        heapq.heapreplace(heap, (load[m], len(out[m]), p, m))
    return out
