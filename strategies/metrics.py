"""Figures about an assignment: rack locality, partitions moved, load spread."""

from __future__ import annotations

from collections.abc import Mapping

from strategies.core import ClusterMetadata, GroupAssignment, GroupSubscription, TopicPartition


def rack_locality(
    group: GroupSubscription, cluster: ClusterMetadata, assignment: GroupAssignment
) -> float:
    """Share of partitions, among those owned by members with a rack and with known replica
    racks, that have a replica on their owner's rack (1.0 when nothing can be judged)."""
    judged = local = 0
    for m, tps in assignment.owned.items():
        rack = group[m].rack if m in group else None
        if rack is None:
            continue
        for tp in tps:
            racks = cluster.replica_racks.get(tp)
            if racks:
                judged += 1
                local += rack in racks
    return local / judged if judged else 1.0


def moved(before: GroupAssignment, after: GroupAssignment) -> int:
    """Partitions owned in both assignments whose owner changed."""
    old = before.owner_of()
    return sum(1 for tp, m in after.owner_of().items() if tp in old and old[tp] != m)


def loads(
    assignment: GroupAssignment, weights: Mapping[TopicPartition, float], default: float = 1.0
) -> dict[str, float]:
    """Member id -> sum of the weights of its partitions."""
    return {m: sum(weights.get(tp, default) for tp in tps) for m, tps in assignment.owned.items()}
