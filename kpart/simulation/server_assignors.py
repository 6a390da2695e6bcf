"""Models of the broker-side assignors of the KIP-848 consumer protocol (``uniform``, ``range``).

They implement the same :class:`strategies.Assignor` interface; ``owned_partitions`` carries
each member's *current target assignment*, which the broker keeps between epochs.

* ``kip848-uniform`` -- balance within one partition, then stickiness, rack-aware when racks
  are known. Modelled with the sticky balancing core of :mod:`strategies` (same guarantees).
* ``kip848-range`` -- per topic, members sorted by member id get contiguous-sized quotas (the
  first ``N % C`` one more); each keeps what it already has up to its quota, and the rest is
  handed out in partition order. A freshly formed group gets classic range's layout.

These are models for comparison, not byte-for-byte ports of the broker's code.
"""

from __future__ import annotations

from dataclasses import replace

from strategies import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    RebalanceProtocol,
    StickyAssignor,
    TopicPartition,
)


class UniformServerAssignor(Assignor):
    """KIP-848 ``uniform``: balanced within one, then sticky to the current target."""

    name = "kip848-uniform"
    protocols = (RebalanceProtocol.COOPERATIVE,)

    def __init__(self) -> None:
        self._sticky = StickyAssignor()

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        plain = {m: replace(sub, user_data=None) for m, sub in group.items()}
        return self._sticky.assign(plain, cluster)


class RangeServerAssignor(Assignor):
    """KIP-848 ``range``: per-topic quotas in member-id order, sticky within each quota."""

    name = "kip848-range"
    protocols = (RebalanceProtocol.COOPERATIVE,)

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        owned: dict[str, list[TopicPartition]] = {m: [] for m in group}
        members = sorted(group)
        topics = sorted({t for sub in group.values() for t in sub.topics})
        for topic in topics:
            n = cluster.partition_counts.get(topic, 0)
            subs = [m for m in members if topic in group[m].topics]
            if n == 0 or not subs:
                continue
            per, extra = divmod(n, len(subs))
            quota = {m: per + (1 if i < extra else 0) for i, m in enumerate(subs)}
            taken: set[int] = set()
            for m in subs:
                mine = sorted(tp.partition for tp in group[m].owned_partitions
                              if tp.topic == topic and tp.partition < n and tp.partition not in taken)
                for p in mine[:quota[m]]:
                    owned[m].append(TopicPartition(topic, p))
                    taken.add(p)
                    quota[m] -= 1
            free = iter(p for p in range(n) if p not in taken)
            for m in subs:
                for _ in range(quota[m]):
                    owned[m].append(TopicPartition(topic, next(free)))
        return GroupAssignment.of(owned)
