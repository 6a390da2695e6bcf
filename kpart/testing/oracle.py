"""The stickiness oracle: the fewest moves any balanced assignment needs.

A *move* is a partition whose previous owner is still in the group, still subscribes to its
topic, and no longer owns it.
*Balanced* means the partition counts minimise the sum of squares over every assignment the
subscriptions allow -- counts within one with identical subscriptions, and no chain of
hand-overs between subscribers could even them further otherwise.

:func:`fewest_moves` solves it exactly as a min-cost flow (networkx, imported on first use):
source -> (topic, previous owner) classes -> subscribers -> sink, where the k-th partition a
member takes costs ``W (2k - 1)`` (so the flow first minimises the sum of squared counts, W
exceeding any number of moves) and a partition leaving its previous owner costs 1 more.
:func:`fewest_moves_identical` is the closed form for identical subscriptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kpart.testing.assignment_checks import Ownership, subscribed_partitions
from strategies.core import ClusterMetadata, GroupSubscription, TopicPartition


@dataclass(frozen=True)
class Optimum:
    """The oracle's answer: the fewest moves and the smallest sum of squared counts."""

    moves: int
    sum_of_squares: int


def previous_owners(group: GroupSubscription, cluster: ClusterMetadata,
                    previous: Ownership) -> dict[TopicPartition, str]:
    """Partition -> its previous owner, for owners still in the group and subscribed to the
    partition's topic (first claim wins)."""
    out: dict[TopicPartition, str] = {}
    for m in sorted(previous):
        if m not in group:
            continue
        for tp in sorted(previous[m]):
            if cluster.has_partition(tp) and tp[0] in group[m].topics:
                out.setdefault(TopicPartition(*tp), m)
    return out


def moves(group: GroupSubscription, cluster: ClusterMetadata, previous: Ownership,
          owned: Mapping[str, tuple[TopicPartition, ...]]) -> int:
    """Partitions a remaining, still subscribed previous owner does not own in ``owned``."""
    now = {tp: m for m, tps in owned.items() for tp in tps}
    return sum(1 for tp, m in previous_owners(group, cluster, previous).items() if now.get(tp) != m)


def fewest_moves(group: GroupSubscription, cluster: ClusterMetadata, previous: Ownership) -> Optimum:
    """The exact optimum by min-cost flow; any subscriptions."""
    import networkx as nx

    parts = subscribed_partitions(group, cluster)
    if not parts:
        return Optimum(0, 0)
    owners = previous_owners(group, cluster, previous)
    weight = len(parts) + 1
    graph = nx.MultiDiGraph()
    graph.add_node("source", demand=-len(parts))
    graph.add_node("sink", demand=len(parts))
    classes: dict[tuple[str, str | None], int] = {}
    for tp in parts:
        key = (tp.topic, owners.get(tp))
        classes[key] = classes.get(key, 0) + 1
    room = dict.fromkeys(group, 0)
    for (topic, owner), size in classes.items():
        node = ("class", topic, owner)
        graph.add_edge("source", node, capacity=size, weight=0)
        for m, sub in group.items():
            if topic in sub.topics:
                graph.add_edge(node, ("member", m), capacity=size,
                               weight=0 if owner in (None, m) else 1)
                room[m] += size
    for m, cap in room.items():
        for k in range(1, cap + 1):
            graph.add_edge(("member", m), "sink", capacity=1, weight=weight * (2 * k - 1))
    cost = nx.min_cost_flow_cost(graph)
    return Optimum(moves=cost % weight, sum_of_squares=cost // weight)


def fewest_moves_identical(group: GroupSubscription, cluster: ClusterMetadata,
                           previous: Ownership) -> int:
    """Closed form when every member subscribes to the same topics: each member keeps at most
    its quota ``q = P // M`` of what it owned, and ``P % M`` members owning more keep one more."""
    if not group:
        return 0
    total = len(subscribed_partitions(group, cluster))
    q, r = divmod(total, len(group))
    owners = previous_owners(group, cluster, previous)
    held = dict.fromkeys(group, 0)
    for m in owners.values():
        held[m] += 1
    over = sum(1 for n in held.values() if n > q)
    kept = sum(min(n, q) for n in held.values()) + min(r, over)
    return len(owners) - kept
