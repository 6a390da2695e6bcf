"""The range assignor: per topic, contiguous blocks of partitions.

Guarantee (Java ``RangeAssignor`` semantics): for each topic, its subscribers are sorted —
static members by ``group.instance.id`` first, then dynamic members by member id — and the
topic's partitions, in numeric order, are cut into contiguous blocks; the first ``N % C``
subscribers get one extra. Without racks the result is identical to Java's for every input,
including any mix of static and dynamic members and members subscribed to different topics.

Rack-aware (KIP-881): when members send a rack and replica racks are known, every member
keeps exactly the partition count plain range gives it, but takes partitions with a replica on
its rack first. Which partition lands where may then differ from Java's rack-aware range.
"""

from __future__ import annotations

from strategies.core import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    RebalanceProtocol,
    TopicPartition,
)
from strategies.group import has_racks, prepare


class RangeAssignor(Assignor):
    """Java-compatible range assignment, optionally rack-aware (never at the cost of counts)."""

    name = "range"
    protocols = (RebalanceProtocol.EAGER,)

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        g = prepare(group, cluster)
        racks = has_racks(group, cluster)
        owned: dict[str, list[TopicPartition]] = {m: [] for m in g.members}
        for topic, consumers in g.subscribers().items():
            n = cluster.partition_counts[topic]
            per, extra = divmod(n, len(consumers))
            quotas = [per + (1 if i < extra else 0) for i in range(len(consumers))]
            parts = cluster.partitions_of(topic)
            if racks:
                _rack_aware_fill(consumers, quotas, parts, group, cluster, owned)
            else:
                start = 0
                for m, q in zip(consumers, quotas, strict=True):
                    owned[m].extend(parts[start:start + q])
                    start += q
        return GroupAssignment.of(owned)


def _rack_aware_fill(
    consumers: list[str],
    quotas: list[int],
    parts: tuple[TopicPartition, ...],
    group: GroupSubscription,
    cluster: ClusterMetadata,
    owned: dict[str, list[TopicPartition]],
) -> None:
    """Fill each consumer's quota with same-rack partitions first, then the rest in order."""
    taken: set[TopicPartition] = set()
    left = dict(zip(consumers, quotas, strict=True))
    for m in consumers:
        rack = group[m].rack
        if rack is None:
            continue
        for tp in parts:
            if left[m] == 0:
                break
            if tp not in taken and rack in cluster.replica_racks.get(tp, ()):
                owned[m].append(tp)
                taken.add(tp)
                left[m] -= 1
    rest = iter(tp for tp in parts if tp not in taken)
    for m in consumers:
        for _ in range(left[m]):
            owned[m].append(next(rest))
