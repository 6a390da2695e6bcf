"""Value types of the assignment core: pure data, no client imports.

An assignor is a pure function ``(GroupSubscription, ClusterMetadata) -> GroupAssignment``.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


class RebalanceProtocol(enum.Enum):
    """How a group moves partitions: revoke everything (EAGER) or only what moves (COOPERATIVE)."""

    EAGER = 0
    COOPERATIVE = 1


@dataclass(frozen=True, order=True)
class TopicPartition:
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


@dataclass(frozen=True)
class MemberSubscription:
    """What one member tells the group leader when it joins."""

    member_id: str
    topics: frozenset[str]
    owned_partitions: tuple[TopicPartition, ...] = ()
    generation: int = -1
    rack: str | None = None
    group_instance_id: str | None = None
    user_data: bytes | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "topics", frozenset(self.topics))
        object.__setattr__(self, "owned_partitions", tuple(self.owned_partitions))


@dataclass(frozen=True)
class ClusterMetadata:
    """Partition counts per topic and, optionally, the racks holding each partition's replicas."""

    partition_counts: Mapping[str, int]
    replica_racks: Mapping[TopicPartition, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "partition_counts", MappingProxyType(dict(self.partition_counts)))
        object.__setattr__(self, "replica_racks", MappingProxyType(dict(self.replica_racks)))

    def partitions_of(self, topic: str) -> tuple[TopicPartition, ...]:
        """All partitions of ``topic`` in numeric order; empty for an unknown topic."""
        return tuple(TopicPartition(topic, p) for p in range(self.partition_counts.get(topic, 0)))


@dataclass(frozen=True)
class GroupAssignment:
    """Member id -> the partitions it owns after this rebalance round, each tuple sorted."""

    owned: Mapping[str, tuple[TopicPartition, ...]]

    @classmethod
    def of(cls, owned: Mapping[str, Iterable[TopicPartition]]) -> GroupAssignment:
        return cls(MappingProxyType({m: tuple(sorted(tps)) for m, tps in owned.items()}))

    def owner_of(self) -> dict[TopicPartition, str]:
        return {tp: member for member, tps in self.owned.items() for tp in tps}


GroupSubscription = Mapping[str, MemberSubscription]


class Assignor(ABC):
    """A partition-assignment strategy.

    ``assign`` must be deterministic: the same subscriptions and metadata give the same result.
    """

    name: str
    protocols: tuple[RebalanceProtocol, ...] = (RebalanceProtocol.EAGER,)

    @abstractmethod
    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        """Assign the partitions of subscribed topics to the group's members."""
