"""The round-robin assignor: all partitions dealt one by one around the sorted members.

Guarantee (Java ``RoundRobinAssignor`` semantics): every partition of every subscribed topic,
topics sorted by name and partitions in numeric order, goes to the next member in a circular
order of the sorted members (static members by ``group.instance.id`` first, then dynamic ones by
member id), skipping members not subscribed to its topic. Identical to Java's result for every
input. With identical subscriptions, counts differ by at most one.
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
from strategies.group import prepare


class RoundRobinAssignor(Assignor):
    """Java-compatible round-robin assignment."""

    name = "roundrobin"
    protocols = (RebalanceProtocol.EAGER,)
    claims = {"balance": 1}

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        g = prepare(group, cluster)
        owned: dict[str, list[TopicPartition]] = {m: [] for m in g.members}
        members = g.members
        count = len(members)
        pos = 0
        for topic in g.all_topics:
            for tp in cluster.partitions_of(topic):
                while topic not in g.topics[members[pos]]:
                    pos = (pos + 1) % count
                owned[members[pos]].append(tp)
                pos = (pos + 1) % count
        return GroupAssignment.of(owned)
