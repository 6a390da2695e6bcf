"""Seeded random group churn for differential tests: joins, leaves, static restarts,
subscription changes and partition growth, with or without racks.

A :class:`Churn` is the group's membership and the cluster's metadata; :meth:`Churn.step`
applies one random event. Sides under test keep their own previous assignments; the churn only
says who is in the group, what they subscribe to and what the topics look like.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from strategies.core import ClusterMetadata, MemberSubscription, TopicPartition

RACKS = ("r0", "r1", "r2")


@dataclass(frozen=True)
class Member:
    """One consumer: a stable ``name`` (its instance id when static), its current member id."""

    name: str
    member_id: str
    static: bool
    rack: str | None
    topics: frozenset[str]


class Churn:
    """A group and its cluster, changed one seeded random event at a time."""

    def __init__(
        self,
        seed: int,
        *,
        racks: bool = False,
        static: bool = False,
        mixed: bool = False,
        topics: int = 3,
        members: int = 5,
        max_partitions: int = 12,
    ) -> None:
        self.rng = random.Random(seed)
        self.racks = racks
        self.static = static
        self.mixed = mixed
        self.counts = {f"topic-{i}": self.rng.randrange(1, max_partitions + 1) for i in range(topics)}
        self.replicas: dict[TopicPartition, frozenset[str]] = {}
        for topic, n in self.counts.items():
            self._place(topic, 0, n)
        self._serial = 0
        self.members: list[Member] = []
        self.renamed: dict[str, str] = {}  # old member id -> new, after the last step
        for _ in range(members):
            self.members.append(self._new_member())

    # --- what the sides see -------------------------------------------------------------------

    def cluster(self) -> ClusterMetadata:
        return ClusterMetadata(dict(self.counts), dict(self.replicas) if self.racks else {})

    def subscriptions(
        self, owned: dict[str, tuple[TopicPartition, ...]], generation: int
    ) -> dict[str, MemberSubscription]:
        """Each member with ``owned[member_id]`` as its previous assignment (``()`` if new)."""
        return {
            m.member_id: MemberSubscription(
                m.member_id,
                m.topics,
                owned.get(m.member_id, ()),
                generation if m.member_id in owned else -1,
                m.rack,
                m.name if m.static else None,
            )
            for m in self.members
        }

    # --- events ---------------------------------------------------------------------------------

    def step(self) -> str:
        """Apply one random event; returns its label."""
        self.renamed = {}
        rng = self.rng
        events = ["join", "leave", "grow"]
        if self.static:
            events.append("static-restart")
        if self.mixed:
            events.append("resubscribe")
        event = rng.choice(events)
        if event == "leave" and len(self.members) <= 1:
            event = "join"
        if event == "static-restart" and not any(m.static for m in self.members):
            event = "join"
        if event == "join":
            self.members.append(self._new_member())
        elif event == "leave":
            self.members.pop(rng.randrange(len(self.members)))
        elif event == "grow":
            topic = rng.choice(sorted(self.counts))
            extra = rng.randrange(1, 5)
            self._place(topic, self.counts[topic], self.counts[topic] + extra)
            self.counts[topic] += extra
        elif event == "static-restart":
            i = rng.choice([i for i, m in enumerate(self.members) if m.static])
            old = self.members[i]
            self.members[i] = replace(old, member_id=self._member_id())
            self.renamed[old.member_id] = self.members[i].member_id
        else:
            i = rng.randrange(len(self.members))
            self.members[i] = replace(self.members[i], topics=self._topics())
        return event

    # --- helpers --------------------------------------------------------------------------------

    def _place(self, topic: str, first: int, end: int) -> None:
        for p in range(first, end):
            self.replicas[TopicPartition(topic, p)] = frozenset(self.rng.sample(RACKS, 2))

    def _member_id(self) -> str:
        self._serial += 1
        return f"consumer-{self.rng.getrandbits(48):012x}"

    def _topics(self) -> frozenset[str]:
        names = sorted(self.counts)
        if not self.mixed:
            return frozenset(names)
        return frozenset(self.rng.sample(names, self.rng.randrange(1, len(names) + 1)))

    def _new_member(self) -> Member:
        static = self.static and self.rng.random() < 0.5
        name = f"instance-{self._serial}"
        rack = self.rng.choice(RACKS) if self.racks else None
        return Member(name, self._member_id(), static, rack, self._topics())
