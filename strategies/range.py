"""The range assignor: per topic, contiguous blocks of partitions.

Guarantee (Java ``RangeAssignor`` semantics, kafka-clients 4.x): for each topic, its
subscribers are sorted — static members by ``group.instance.id`` first, then dynamic members by
member id — and the topic's partitions, in numeric order, are cut into contiguous blocks; the
first ``N % C`` subscribers get one extra. Without racks the result is identical to Java's for
every input, including any mix of static and dynamic members and members subscribed to
different topics.

Rack-aware (KIP-881), with Java's algorithm step for step: a topic takes the rack-aware path
when one of its subscribers sends a rack, that rack holds a replica of the topic, and not every
partition has the same replica racks. Then

* **co-partitioning first**: topics with the same subscribers and the same partition count are
  placed together — partition ``i`` of all of them goes to the first subscriber (in member
  order) that has room in every one of them and whose rack holds a replica of partition ``i``
  of every one of them (a member without a rack matches any partition); so partition ``i`` of
  co-partitioned topics always lands on one member, with or without racks;
* a topic with no co-partitioned peer gives each subscriber, in member order, the same-rack
  partitions it has room for;
* what is left is dealt in member order, each member taking the lowest unassigned partitions
  up to its room.

Room is per topic: ``N // C`` each, plus one for as long as fewer than ``N % C`` subscribers have
taken an extra — so each topic stays range-balanced (counts ``N // C`` or ``N // C + 1``, exactly
``N % C`` of them higher), though which subscriber takes an extra may follow the racks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import islice

from strategies.core import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    RebalanceProtocol,
    TopicPartition,
)
from strategies.group import prepare


class RangeAssignor(Assignor):
    """Java-compatible range assignment, optionally rack-aware as Java's (KIP-881)."""

    name = "range"
    protocols = (RebalanceProtocol.EAGER,)

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        g = prepare(group, cluster)
        racks = {m: group[m].rack or None for m in g.members}
        owned: dict[str, list[TopicPartition]] = {m: [] for m in g.members}
        states = [_TopicState(t, subs, cluster, racks)
                  for t, subs in g.subscribers().items() if subs]
        if any(s.needs_rack_aware for s in states):
            _assign_with_rack_matching(states, owned)
        for s in states:
            s.assign_ranges(owned)
        return GroupAssignment.of(owned)


class RangeQuota:
    """One topic's range quota: ``N`` partitions over ``C`` subscribers get ``N // C`` each, and
    the first ``N % C`` subscribers to go past ``N // C`` get one more (Java's ``RangeAssignor``
    and the broker's KIP-848 ``range`` share this rule).

    Guarantee: as long as every subscriber takes at most :meth:`room` and reports it with
    :meth:`took`, counts end ``N // C`` or ``N // C + 1``, at most ``N % C`` of them higher.
    """

    __slots__ = ("per", "extra")

    def __init__(self, partitions: int, subscribers: int) -> None:
        self.per, self.extra = divmod(partitions, subscribers)

    def room(self, held: int) -> int:
        """How many more partitions a subscriber holding ``held`` may take."""
        return max(0, self.per + (1 if self.extra > 0 else 0) - held)

    def took(self, before: int, after: int) -> None:
        """A subscriber went from ``before`` to ``after`` partitions: going past ``N // C``
        uses up one of the extras."""
        if before <= self.per < after:
            self.extra -= 1


class _TopicState:
    """One topic's placement in progress: Java's ``TopicAssignmentState``."""

    def __init__(self, topic: str, consumers: list[str], cluster: ClusterMetadata,
                 racks: Mapping[str, str | None]) -> None:
        n = cluster.partition_counts[topic]
        self.topic = topic
        self.consumers = consumers
        self.racks = racks
        self.unassigned: dict[int, None] = dict.fromkeys(range(n))
        self.assigned = dict.fromkeys(consumers, 0)
        self.quota = RangeQuota(n, len(consumers))
        consumer_racks = {racks[c] for c in consumers} - {None}
        if consumer_racks:
            known = cluster.replica_racks
            empty: frozenset[str] = frozenset()
            self.partition_racks = [known.get(TopicPartition(topic, p), empty) for p in range(n)]
        else:
            self.partition_racks = []
        every = frozenset().union(*self.partition_racks)
        self.needs_rack_aware = bool(consumer_racks & every) and any(
            r != every for r in self.partition_racks)

    def group_key(self) -> tuple[tuple[tuple[str, str | None], ...], int]:
        """Topics with equal keys are co-partitioned: same subscribers (and racks), same size."""
        return tuple((c, self.racks[c]) for c in self.consumers), len(self.partition_racks)

    def racks_match(self, consumer: str, p: int) -> bool:
        rack = self.racks[consumer]
        return rack is None or rack in self.partition_racks[p]

    def room(self, consumer: str) -> int:
        return self.quota.room(self.assigned[consumer])

    def take(self, consumer: str, parts: Sequence[int], owned: dict[str, list[TopicPartition]]
             ) -> None:
        owned[consumer].extend(TopicPartition(self.topic, p) for p in parts)
        before = self.assigned[consumer]
        self.assigned[consumer] = before + len(parts)
        self.quota.took(before, before + len(parts))
        for p in parts:
            del self.unassigned[p]

    def assign_ranges(self, owned: dict[str, list[TopicPartition]],
                      may_take: Callable[[str, int], bool] | None = None) -> None:
        """Each consumer in order takes the lowest unassigned partitions it may, up to its room."""
        if may_take is None:
            rest = list(self.unassigned)
            start = 0
            for c in self.consumers:
                if start >= len(rest):
                    return
                k = self.room(c)
                if k:
                    self.take(c, rest[start:start + k], owned)
                    start += k
            return
        for c in self.consumers:
            if not self.unassigned:
                return
            parts = list(islice((p for p in self.unassigned if may_take(c, p)), self.room(c)))
            if parts:
                self.take(c, parts, owned)


def _assign_with_rack_matching(states: list[_TopicState],
                               owned: dict[str, list[TopicPartition]]) -> None:
    groups: dict[object, list[_TopicState]] = {}
    for s in states:
        groups.setdefault(s.group_key(), []).append(s)
    for peers in groups.values():
        if len(peers) > 1:
            _assign_co_partitioned(peers, owned)
        elif peers[0].needs_rack_aware:
            peers[0].assign_ranges(owned, peers[0].racks_match)


def _assign_co_partitioned(peers: list[_TopicState],
                           owned: dict[str, list[TopicPartition]]) -> None:
    """Partition ``i`` of every peer to the first consumer matching all of them, with room."""
    remaining = list(peers[0].consumers)
    for p in range(len(peers[0].partition_racks)):
        for c in remaining:
            if all(s.racks_match(c, p) and s.room(c) > 0 for s in peers):
                for s in peers:
                    s.take(c, (p,), owned)
                if not any(s.room(c) > 0 for s in peers):
                    remaining.remove(c)
                break
        if not remaining:
            return
