"""aiokafka adapter: every assignor as an ``AIOKafkaConsumer`` partition assignment strategy.

Pass **instances**, one per consumer, then attach them once the consumer exists::

    from aiokafka import AIOKafkaConsumer
    from strategies.aiokafka import AiokafkaAssignor, attach

    consumer = AIOKafkaConsumer("orders", group_id="billing", client_rack="use1-az1",
                                partition_assignment_strategy=[AiokafkaAssignor("sticky")])
    attach(consumer)            # generation and rack for every AiokafkaAssignor it uses
    await consumer.start()

Names: ``range``, ``roundrobin``, ``sticky``, ``cooperative-sticky``, ``weighted-sticky`` and
any registered assignor, under the protocol name other clients use, so aiokafka, kafka-python,
Java and librdkafka members can share a group.

What is fixed compared with aiokafka's own assignors:

- state lives on the instance (aiokafka's sticky assignor keeps it on the class, so consumers
  in one process overwrite each other's previous assignment);
- a member sends the real generation of its last assignment (aiokafka's sends -1), read from
  the attached consumer when the assignment arrives;
- the subscription is ConsumerProtocol v3 -- topics, Java-compatible user data, owned
  partitions (empty under EAGER, as Java), generation and rack -- and an aiokafka leader reads
  v1-v3 subscriptions from Java, librdkafka, kafka-python and aiokafka members (see
  :mod:`kpart.compat.aiokafka`);
- rack-aware range and sticky (KIP-881) when members send racks and brokers report them.

Rebalance protocol: aiokafka 0.14 runs EAGER only, so ``cooperative-sticky`` and
``weighted-sticky`` run as EAGER (one round, nothing withheld). COOPERATIVE cannot be added
from outside: ``GroupCoordinator._on_join_prepare`` revokes the whole previous assignment and
``SubscriptionState.assign_from_subscribed`` replaces it wholesale
(``aiokafka/consumer/group_coordinator.py``, ``aiokafka/consumer/subscription_state.py``), so
keeping partitions across a rebalance would mean replacing aiokafka's coordinator. Under EAGER a
member owns nothing when it joins, so, exactly as with the Java client, ``cooperative-sticky``
is not sticky there: use ``sticky`` (which carries the previous assignment in its user data).

``group.instance.id`` of other members is not visible to an aiokafka leader, so range and
round-robin order static members by member id (a Java leader orders them by instance id).
Without :func:`attach` an assignor sends generation -1 (a warning is logged once).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from kpart.extras import require

require("aiokafka", "aiokafka")

from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor  # noqa: E402
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment  # noqa: E402

from kpart.compat import aiokafka as compat  # noqa: E402
from strategies.core import (  # noqa: E402
    Assignor,
    GroupAssignment,
    MemberSubscription,
    TopicPartition,
    partitions_by_topic,
)
from strategies.core import ClusterMetadata as CoreMetadata  # noqa: E402
from strategies.registry import get_assignor  # noqa: E402

log = logging.getLogger("strategies")


class AiokafkaAssignor(AbstractPartitionAssignor):
    """A core :class:`~strategies.core.Assignor` (or registered name) as an aiokafka assignor.

    ``rack``: this member's rack (default: the attached consumer's ``client_rack``).
    """

    def __init__(self, assignor: Assignor | str, *, rack: str | None = None) -> None:
        compat.install_subscription_decoder()  # checks the aiokafka version first
        self.core: Assignor = get_assignor(assignor) if isinstance(assignor, str) else assignor
        if not isinstance(self.core, Assignor):
            raise TypeError(f"assignor must be a strategies Assignor or a name, got {assignor!r}")
        self.rack = rack
        self.owned: tuple[TopicPartition, ...] = ()
        self.generation = -1
        self._consumer: Any = None
        self._warned = False

    @property
    def name(self) -> str:
        return self.core.name

    def attach(self, consumer: Any) -> AiokafkaAssignor:
        """Read this member's generation (and, unless given, rack) from ``consumer``."""
        if self not in compat.assignors_of(consumer):
            raise ValueError(f"{self!r} is not in the consumer's partition_assignment_strategy")
        self._consumer = consumer
        if self.rack is None:
            self.rack = compat.client_rack_of(consumer)
        return self

    def current_generation(self) -> int:
        """The consumer's group generation now (-1: none, or not attached)."""
        if self._consumer is None:
            if not self._warned:
                self._warned = True
                log.warning("%r is not attached to its consumer: it sends generation -1; call "
                            "strategies.aiokafka.attach(consumer)", self)
            return -1
        return compat.generation_of(self._consumer)

    def metadata(self, topics: Iterable[str]) -> bytes:
        """ConsumerProtocol v3 subscription bytes (aiokafka sends bytes as they are), with the
        generation of the assignment this member last received."""
        return compat.encode_subscription(
            sorted(topics),
            self.core.encode_user_data(self.owned, self.generation),
            [],  # EAGER: everything is revoked before joining
            self.generation,
            self.rack,
        )

    def on_assignment(self, assignment: ConsumerProtocolMemberAssignment) -> None:
        """Remember the assignment and its generation (as Java's sticky assignor does in
        ``onAssignment``): a join whose SyncGroup failed leaves both unchanged."""
        self.owned = tuple(sorted(TopicPartition(tp.topic, tp.partition)
                                  for tp in assignment.partitions()))
        self.generation = self.current_generation()

    def assign(self, cluster: Any, members: Mapping[str, Any]
               ) -> dict[str, ConsumerProtocolMemberAssignment]:
        group = subscriptions_from_members(members)
        result = self.core.assign(group, core_metadata(cluster, group))
        return to_wire(result)

    def __repr__(self) -> str:
        return f"AiokafkaAssignor({self.core.name!r})"


def attach(consumer: Any) -> list[AiokafkaAssignor]:
    """Attach every :class:`AiokafkaAssignor` in ``consumer``'s strategy list; returns them.

    Raises ``ValueError`` if the list has none (nothing to attach is a configuration mistake).
    """
    ours = [a for a in compat.assignors_of(consumer) if isinstance(a, AiokafkaAssignor)]
    if not ours:
        raise ValueError("the consumer's partition_assignment_strategy has no AiokafkaAssignor")
    for assignor in ours:
        assignor.attach(consumer)
    return ours


def subscriptions_from_members(members: Mapping[str, Any]) -> dict[str, MemberSubscription]:
    """aiokafka's decoded member metadata -> core subscriptions (v1-v3 fields when decoded)."""
    group: dict[str, MemberSubscription] = {}
    for member_id, meta in members.items():
        user_data = meta.user_data
        group[member_id] = MemberSubscription(
            member_id=member_id,
            topics=frozenset(meta.subscription or ()),
            owned_partitions=tuple(TopicPartition(t, p)
                                   for t, ps in (getattr(meta, "owned_partitions", None) or ())
                                   for p in ps),
            generation=getattr(meta, "generation_id", -1),
            rack=getattr(meta, "rack_id", None) or None,
            user_data=bytes(user_data) if user_data else None,
        )
    return group


def core_metadata(cluster: Any, group: Mapping[str, MemberSubscription]) -> CoreMetadata:
    """Our :class:`~strategies.core.ClusterMetadata` read from aiokafka's ``ClusterMetadata``:
    partition counts of the subscribed topics, and replica racks when members send racks."""
    topics = sorted(set().union(*(s.topics for s in group.values()))) if group else []
    counts = {t: len(ps) for t in topics if (ps := cluster.partitions_for_topic(t))}
    racks = {}
    if any(s.rack for s in group.values()):
        racks = {TopicPartition(*tp): r for tp, r in compat.replica_racks(cluster, list(counts)).items()}
    return CoreMetadata(counts, racks)


def to_wire(result: GroupAssignment) -> dict[str, ConsumerProtocolMemberAssignment]:
    """Core assignment -> aiokafka ``ConsumerProtocolMemberAssignment`` (v0) per member."""
    out = {}
    for member, tps in result.owned.items():
        topics = [ConsumerProtocolMemberAssignment.Assignment(t, p) for t, p in partitions_by_topic(tps)]
        out[member] = ConsumerProtocolMemberAssignment(0, topics, b"")
    return out
