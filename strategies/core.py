"""Value types of the assignment core: pure data, no client imports.

An assignor is a pure function ``(GroupSubscription, ClusterMetadata) -> GroupAssignment``.
It also owns what its members put in the subscription's user data (``encode_user_data``) and
the rebalance protocols it supports (``protocols``). Who revokes what, and when, belongs to the
group coordinator, not to the assignor.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, repeat
from types import MappingProxyType
from typing import NamedTuple


class RebalanceProtocol(enum.Enum):
    """How a group moves partitions: revoke everything (EAGER) or only what moves (COOPERATIVE)."""

    EAGER = 0
    COOPERATIVE = 1


class TopicPartition(NamedTuple):
    """A partition of a topic. Orders by topic, then partition number.

    A named tuple, so it hashes and sorts at C speed and compares equal to kafka-python's
    ``kafka.structs.TopicPartition`` with the same fields.
    """

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


@dataclass(frozen=True)
class MemberSubscription:
    """What one member tells the group leader when it joins.

    ``owned_partitions`` are the partitions the member holds right now (sent under the
    COOPERATIVE protocol); ``generation`` is the group generation of that ownership (-1: none);
    ``user_data`` is the assignor-specific blob (e.g. the sticky assignor's previous assignment).
    """

    member_id: str
    topics: frozenset[str]
    owned_partitions: tuple[TopicPartition, ...] = ()
    generation: int = -1
    rack: str | None = None
    group_instance_id: str | None = None
    user_data: bytes | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.member_id, str):
            raise TypeError(f"member_id must be a str, got {self.member_id!r}")
        if isinstance(self.topics, str):
            raise TypeError(f"topics must be a collection of topic names, got the str {self.topics!r}")
        object.__setattr__(self, "topics", frozenset(self.topics))
        object.__setattr__(
            self,
            "owned_partitions",
            tuple(TopicPartition(tp[0], tp[1]) for tp in self.owned_partitions),
        )

    @property
    def is_static(self) -> bool:
        """True for a static member (one with a ``group.instance.id``)."""
        return self.group_instance_id is not None


@dataclass(frozen=True)
class ClusterMetadata:
    """Partition counts per topic and, optionally, the racks holding each partition's replicas.

    The value owns its partition objects: :meth:`partitions_of` builds a topic's partitions
    once, on first use, and returns that same tuple to every later call (assignors reuse them
    across rebalances, as a group leader's metadata outlives one rebalance).
    """

    partition_counts: Mapping[str, int]
    replica_racks: Mapping[TopicPartition, frozenset[str]] = field(default_factory=dict)
    _interned: dict[str, tuple[TopicPartition, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _flat: dict[tuple[str, ...], tuple[TopicPartition, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        counts = dict(self.partition_counts)
        for topic, n in counts.items():
            if not isinstance(n, int) or n < 0:
                raise ValueError(f"partition count of topic {topic!r} must be an int >= 0, got {n!r}")
        object.__setattr__(self, "partition_counts", MappingProxyType(counts))
        object.__setattr__(
            self,
            "replica_racks",
            MappingProxyType(
                {TopicPartition(tp[0], tp[1]): frozenset(r) for tp, r in self.replica_racks.items()}
            ),
        )

    def partitions_of(self, topic: str) -> tuple[TopicPartition, ...]:
        """All partitions of ``topic`` in numeric order; empty for an unknown topic.

        The same tuple (the same partition objects) on every call for a known topic.
        """
        interned = self._interned
        parts = interned.get(topic)
        if parts is None:
            n = self.partition_counts.get(topic, 0)
            if n == 0:
                return ()
            parts = interned.setdefault(topic, _build(topic, _numbers(n)))
        return parts

    def flat_partitions(self, topics: tuple[str, ...]) -> tuple[TopicPartition, ...]:
        """The partitions of ``topics``, topic after topic in the given order, each topic's in
        numeric order: the objects of :meth:`partitions_of`, the same tuple on every call (the
        last few orders asked for are kept)."""
        flat = self._flat.get(topics)
        if flat is None:
            flat = _join(tuple(map(self.partitions_of, topics)))
            if len(self._flat) >= _FLAT_KEPT:
                self._flat.pop(next(iter(self._flat)), None)
            self._flat[topics] = flat
        return flat

    def has_partition(self, tp: TopicPartition) -> bool:
        """True if ``tp`` exists in this metadata."""
        return 0 <= tp.partition < self.partition_counts.get(tp.topic, 0)


@dataclass(frozen=True)
class GroupAssignment:
    """Member id -> the partitions it owns after this rebalance round, each tuple sorted."""

    owned: Mapping[str, tuple[TopicPartition, ...]]

    @classmethod
    def of(cls, owned: Mapping[str, Iterable[TopicPartition]]) -> GroupAssignment:
        return cls(MappingProxyType({m: tuple(sorted(tps)) for m, tps in owned.items()}))

    def owner_of(self) -> dict[TopicPartition, str]:
        return {tp: member for member, tps in self.owned.items() for tp in tps}

    def counts(self) -> dict[str, int]:
        """Member id -> number of partitions it owns."""
        return {m: len(tps) for m, tps in self.owned.items()}


GroupSubscription = Mapping[str, MemberSubscription]

_make = partial(tuple.__new__, TopicPartition)


def _build_pure(topic: str, numbers: list[int]) -> tuple[TopicPartition, ...]:
    """``TopicPartition(topic, n)`` for each of ``numbers`` (the compiled twin builds the same
    objects and leaves them out of the cycle collector, which they can take no part in)."""
    return tuple(map(_make, zip(repeat(topic), numbers)))


def _join_pure(parts: tuple[tuple[TopicPartition, ...], ...]) -> tuple[TopicPartition, ...]:
    """The tuples of ``parts`` as one tuple."""
    return tuple(chain.from_iterable(parts))


try:
    from strategies import _stickyext

    def _build(topic: str, numbers: list[int]) -> tuple[TopicPartition, ...]:
        built: tuple[TopicPartition, ...] = _stickyext.partitions(TopicPartition, topic, numbers)
        return built

    def _join(parts: tuple[tuple[TopicPartition, ...], ...]) -> tuple[TopicPartition, ...]:
        joined: tuple[TopicPartition, ...] = _stickyext.concat(parts)
        return joined
except ImportError:  # built without a compiler
    _build = _build_pure
    _join = _join_pure
_FLAT_KEPT = 4
_NUMBERS: list[int] = []


def _numbers(n: int) -> list[int]:
    """``list(range(n))`` sharing its int objects with every earlier call (thread-safe: the
    shared list is replaced, never grown in place)."""
    global _NUMBERS
    nums = _NUMBERS
    if len(nums) < n:
        nums = _NUMBERS = nums + list(range(len(nums), n))
    return nums[:n]


def partitions_by_topic(tps: Iterable[TopicPartition]) -> list[tuple[str, list[int]]]:
    """``tps`` grouped the way every wire format lists them: ``(topic, partition numbers)``,
    topics sorted by name and each topic's partitions sorted."""
    by_topic: dict[str, list[int]] = {}
    for tp in tps:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return [(topic, sorted(parts)) for topic, parts in sorted(by_topic.items())]


class Assignor(ABC):
    """A partition-assignment strategy.

    ``assign`` must be deterministic: the same subscriptions and metadata give the same result.
    It must never raise on member-supplied data (unknown topics, corrupt user data, claims of
    partitions that no longer exist): it logs a warning and returns a valid assignment. Every
    member of ``group`` appears in the result, possibly with no partitions.
    """

    name: str
    protocols: tuple[RebalanceProtocol, ...] = (RebalanceProtocol.EAGER,)
    claims: Mapping[str, object] = MappingProxyType({})
    """Guarantees beyond the universal ones, which ``kpart check`` verifies (``balance``: the
    most partition counts differ by with identical subscriptions; ``balance_any_subscriptions``;
    ``sticky``: fewest moves of any balanced assignment; ``rounds``: cooperative settling)."""

    @abstractmethod
    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        """Assign the partitions of subscribed topics to the group's members."""

    def encode_user_data(self, owned: Sequence[TopicPartition], generation: int) -> bytes | None:
        """The user data a member holding ``owned`` at ``generation`` sends when it joins.

        Default: none. Assignors that need state across rebalances override this.
        """
        return None
