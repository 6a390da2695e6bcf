"""kafka-python adapter: every assignor as a ``KafkaConsumer`` partition assignment strategy.

Pass **classes** (kafka-python instantiates them with no arguments) or **instances** (used as
they are) in ``partition_assignment_strategy``::

    from kafka import KafkaConsumer
    from strategies.kafka_python import (
        CooperativeStickyPartitionAssignor, KafkaPythonAssignor, RangePartitionAssignor)

    # classes: the built-ins under the names kafka-python users know
    KafkaConsumer("orders", group_id="billing",
                  partition_assignment_strategy=[CooperativeStickyPartitionAssignor])

    # instances: any registered assignor by name, with this member's rack (KIP-881)
    KafkaConsumer("orders", group_id="billing", client_rack="use1-az1",
                  partition_assignment_strategy=[KafkaPythonAssignor("sticky", rack="use1-az1")])

    # rolling upgrade to cooperative (two bounces), as with the Java client:
    #   1st bounce: [CooperativeStickyPartitionAssignor, RangePartitionAssignor]  (runs EAGER)
    #   2nd bounce: [CooperativeStickyPartitionAssignor]                          (COOPERATIVE)

Classes: ``RangePartitionAssignor``, ``RoundRobinPartitionAssignor``,
``StickyPartitionAssignor``, ``CooperativeStickyPartitionAssignor``,
``WeightedStickyPartitionAssignor``. Each reports the core
assignor's ``name`` (the protocol name other clients use, so mixed groups agree) and its
``supported_protocols()``.

What a member sends (``metadata()``): ConsumerProtocol subscription v3 with its topics, the
assignor's user data (Java-compatible), its owned partitions (only under COOPERATIVE — under
EAGER a member has revoked everything before it joins, as in the Java client), its generation
and rack. The protocol the consumer runs, and the partitions it really owns, are read from the
kafka-python coordinator calling ``metadata()``; pass ``protocol=`` to state the protocol
explicitly instead.

What the leader does (``assign()``): decodes every member's subscription (topics, user data,
owned partitions, generation, rack, ``group.instance.id``) into the core types, builds the
metadata (partition counts, replica racks) from kafka-python's cluster view, runs the core
assignor and encodes the result. Static members keep their ``group.instance.id`` so range and
round-robin place them by it; a static member that restarts within the session timeout is
given its assignment back by the broker without a rebalance.

Work-arounds for two kafka-python 3.0.12 defects in how a consumer finishes a JoinGroup/SyncGroup
round when ``poll(timeout_ms=...)`` returns before the round is over (the broker holds a
JoinGroup until every member has rejoined, so this is common). kafka-python keeps the round
(``_join_task``) for the next ``poll()`` to await, but:

- ``BaseCoordinator.need_rejoin`` (``kafka/coordinator/base.py``) and
  ``ConsumerCoordinator.need_rejoin`` (``kafka/coordinator/consumer.py``) do not count a pending
  round. When the round was started because the leader saw the metadata change (a topic grew)
  or the subscription changed, ``_perform_assignment``/``group_protocols`` clear that reason
  while the round runs, so the next ``poll()`` never returns to it: the member stays
  "rebalancing" without an assignment and without heartbeats until the broker expels it after
  the session timeout (the group runs without it, with its partitions unassigned meanwhile).
- ``BaseCoordinator.join_group_async`` (``kafka/coordinator/base.py``) tests
  ``self._join_task is None or self._join_task.is_done``: a round that finished between two
  ``poll()`` calls is dropped and a new JoinGroup sent, which costs the group one more
  rebalance each time (more rounds than a cooperative rebalance needs; frequent under CPU load).

The first time ``metadata()`` runs inside a kafka-python coordinator, the adapter patches that
coordinator (:func:`complete_join_rounds`): a pending round keeps ``need_rejoin()`` true, and a
finished round is handed to kafka-python's own code, which takes its assignment (or raises its
error) exactly as when the round finishes within a ``poll()``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable
from typing import Any

from kafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from kafka.coordinator.assignors.abstract import RebalanceProtocol as KafkaRebalanceProtocol
from kafka.protocol.consumer.metadata import (
    ConsumerProtocolAssignment,
    ConsumerProtocolSubscription,
)

from strategies.core import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    MemberSubscription,
    RebalanceProtocol,
    TopicPartition,
)
from strategies.registry import get_assignor

log = logging.getLogger("strategies")

SUBSCRIPTION_VERSION = 3


class KafkaPythonAssignor(AbstractPartitionAssignor):
    """Wraps a core :class:`~strategies.core.Assignor` as a kafka-python assignor.

    ``assignor``: a core assignor or a registered name. ``rack``: this member's rack, sent to
    the leader for rack-aware assignment. ``protocol``: the rebalance protocol this consumer
    runs; by default it is read from the coordinator, falling back to the assignor's preferred
    one.
    """

    def __init__(
        self,
        assignor: Assignor | str,
        *,
        rack: str | None = None,
        protocol: RebalanceProtocol | None = None,
    ) -> None:
        self.core: Assignor = get_assignor(assignor) if isinstance(assignor, str) else assignor
        if not isinstance(self.core, Assignor):
            raise TypeError(f"assignor must be a strategies Assignor or a name, got {assignor!r}")
        if protocol is not None and protocol not in self.core.protocols:
            raise ValueError(f"{self.core.name} does not support the {protocol.name} protocol")
        self.rack = rack
        self.protocol = protocol
        self.owned: tuple[TopicPartition, ...] = ()
        self.generation = -1

    @property
    def name(self) -> str:
        return self.core.name

    def supported_protocols(self) -> list[KafkaRebalanceProtocol]:
        return [KafkaRebalanceProtocol(p.value) for p in self.core.protocols]

    def metadata(self, topics: Iterable[str]) -> ConsumerProtocolSubscription:
        coordinator = _calling_coordinator()
        protocol = self.protocol
        if protocol is None and coordinator is not None:
            protocol = RebalanceProtocol(int(coordinator._rebalance_protocol))
        if protocol is None:
            protocol = self.core.protocols[0]
        if coordinator is not None:
            complete_join_rounds(coordinator)
            self.owned = tuple(sorted(TopicPartition(tp.topic, tp.partition) for tp in
                                      coordinator._subscription.assigned_partitions()))
        owned = self.owned if protocol is RebalanceProtocol.COOPERATIVE else ()
        return ConsumerProtocolSubscription(
            version=SUBSCRIPTION_VERSION,
            topics=sorted(topics),
            user_data=self.core.encode_user_data(self.owned, self.generation),
            owned_partitions=_wire_partitions(ConsumerProtocolSubscription, owned),
            generation_id=self.generation,
            rack_id=self.rack,
        )

    def on_assignment(self, assignment: ConsumerProtocolAssignment, generation: int) -> None:
        self.owned = tuple(sorted(TopicPartition(tp.topic, tp.partition)
                                  for tp in assignment.partitions()))
        self.generation = generation

    def assign(self, cluster: Any, members: Iterable[Any]) -> dict[str, ConsumerProtocolAssignment]:
        group = subscriptions_from_members(members)
        result = self.core.assign(group, cluster_metadata(cluster, group))
        return to_wire(result)


class RangePartitionAssignor(KafkaPythonAssignor):
    """``range`` (Java semantics, rack-aware when racks are known)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("range", **kwargs)


class RoundRobinPartitionAssignor(KafkaPythonAssignor):
    """``roundrobin`` (Java semantics)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("roundrobin", **kwargs)


class StickyPartitionAssignor(KafkaPythonAssignor):
    """``sticky`` (Java-compatible user data)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sticky", **kwargs)


class CooperativeStickyPartitionAssignor(KafkaPythonAssignor):
    """``cooperative-sticky`` (COOPERATIVE and EAGER)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("cooperative-sticky", **kwargs)


class WeightedStickyPartitionAssignor(KafkaPythonAssignor):
    """``weighted-sticky`` with unit weights; wrap ``WeightedStickyAssignor(weights)`` in
    :class:`KafkaPythonAssignor` to pass a weight callback."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("weighted-sticky", **kwargs)


def _calling_coordinator() -> Any:
    """The kafka-python coordinator up the call stack (it calls ``metadata()``), if any.

    kafka-python decides the consumer's protocol from its whole strategy list, which an
    assignor cannot see; its coordinator keeps the decision in ``_rebalance_protocol`` and the
    partitions the consumer really owns in ``_subscription``.
    """
    frame = inspect.currentframe()
    try:
        caller = frame.f_back if frame else None
        for _ in range(6):
            if caller is None:
                return None
            owner = caller.f_locals.get("self")
            if hasattr(owner, "_rebalance_protocol") and hasattr(owner, "_subscription"):
                return owner
            caller = caller.f_back
        return None
    finally:
        del frame


class _FinishedJoinRound:
    """A JoinGroup/SyncGroup round that has finished but whose result kafka-python has not
    taken yet. It reports itself as not done, so ``join_group_async`` awaits it (and receives
    the finished round's assignment or error at once) instead of starting another round."""

    is_done = False

    def __init__(self, task: Any) -> None:
        self.task = task

    def add_callback(self, f: Any, *args: Any, **kwargs: Any) -> _FinishedJoinRound:
        self.task.add_callback(f, *args, **kwargs)
        return self

    def add_errback(self, f: Any, *args: Any, **kwargs: Any) -> _FinishedJoinRound:
        self.task.add_errback(f, *args, **kwargs)
        return self

    def __await__(self) -> Any:
        return self.task.__await__()


def complete_join_rounds(coordinator: Any) -> None:
    """Make a kafka-python coordinator finish every JoinGroup/SyncGroup round it starts, even
    when ``poll()`` times out in the middle of it (the two defects in the module docstring):

    - ``need_rejoin()`` also answers True while a round is pending (as the Java client's
      ``rejoinNeededOrPending()``), so the next ``poll()`` goes back to the round;
    - ``join_group_async()`` takes the result of a round that finished between two polls
      instead of starting a new one; a round that failed with an error other than a
      ``KafkaError`` (an assignor error) is raised once, then the next ``poll()`` rejoins.

    Installed once per coordinator; a no-op for objects without kafka-python 3's ``_join_task``.
    """
    if getattr(coordinator, "_strategies_completes_joins", False):
        return
    join = getattr(coordinator, "join_group_async", None)
    need_rejoin = getattr(coordinator, "need_rejoin", None)
    if join is None or need_rejoin is None or not hasattr(coordinator, "_join_task"):
        return

    def pending() -> bool:
        if coordinator._join_task is None:
            return False
        subscription = getattr(coordinator, "_subscription", None)
        return subscription is None or bool(subscription.partitions_auto_assigned())

    def need_rejoin_or_pending() -> bool:
        return bool(need_rejoin()) or pending()

    async def join_group_async(timeout_ms: Any = None) -> Any:
        task = coordinator._join_task
        if task is not None and task.is_done:
            coordinator._join_task = _FinishedJoinRound(task)
        try:
            return await join(timeout_ms=timeout_ms)
        except Exception:
            # kafka-python forgets a round that failed with a KafkaError; one that failed with
            # anything else (an assignor error) is left behind: raise it once, then retry.
            left = coordinator._join_task
            if isinstance(left, _FinishedJoinRound) or (left is not None and left.is_done):
                coordinator._join_task = None
                coordinator.rejoin_needed = True
            raise

    coordinator.need_rejoin = need_rejoin_or_pending
    coordinator.join_group_async = join_group_async
    coordinator._strategies_completes_joins = True


def _wire_partitions(schema: Any, tps: Iterable[TopicPartition]) -> list[Any]:
    by_topic: dict[str, list[int]] = {}
    for tp in tps:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return [schema.TopicPartition(topic=t, partitions=sorted(p))
            for t, p in sorted(by_topic.items())]


def _topic_lists(tps: Iterable[TopicPartition]) -> list[tuple[str, list[int]]]:
    by_topic: dict[str, list[int]] = {}
    for tp in tps:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return sorted(by_topic.items())


def subscriptions_from_members(members: Iterable[Any]) -> dict[str, MemberSubscription]:
    """kafka-python ``JoinGroupResponseMember``s -> core subscriptions (duplicates logged)."""
    group: dict[str, MemberSubscription] = {}
    for member in members:
        member_id = member.member_id
        if member_id in group:
            log.warning("duplicate member id %r in the group; keeping its first subscription",
                        member_id)
            continue
        meta = member.metadata
        if isinstance(meta, (bytes, bytearray)):
            meta = ConsumerProtocolSubscription.decode(bytes(meta))
        owned = tuple(TopicPartition(tp.topic, p)
                      for tp in (getattr(meta, "owned_partitions", None) or ())
                      for p in tp.partitions)
        user_data = meta.user_data
        group[member_id] = MemberSubscription(
            member_id=member_id,
            topics=frozenset(meta.topics or ()),
            owned_partitions=owned,
            generation=getattr(meta, "generation_id", -1),
            rack=getattr(meta, "rack_id", None) or None,
            group_instance_id=getattr(member, "group_instance_id", None) or None,
            user_data=bytes(user_data) if user_data else None,
        )
    return group


def cluster_metadata(cluster: Any, group: dict[str, MemberSubscription]) -> ClusterMetadata:
    """Partition counts of the subscribed topics, and replica racks when brokers report racks."""
    topics = set().union(*(s.topics for s in group.values())) if group else set()
    counts: dict[str, int] = {}
    for topic in topics:
        parts = cluster.partitions_for_topic(topic)
        if parts:
            counts[topic] = len(parts)
    racks: dict[TopicPartition, frozenset[str]] = {}
    if any(s.rack for s in group.values()):
        racks = _replica_racks(cluster, counts)
    return ClusterMetadata(counts, racks)


def _replica_racks(cluster: Any, counts: dict[str, int]) -> dict[TopicPartition, frozenset[str]]:
    broker_rack = {b.node_id: b.rack for b in cluster.brokers() if getattr(b, "rack", None)}
    partitions = getattr(cluster, "_partitions", {})
    out: dict[TopicPartition, frozenset[str]] = {}
    if not broker_rack:
        return out
    for topic in counts:
        for p, data in partitions.get(topic, {}).items():
            nodes = getattr(data, "replica_nodes", None) or ()
            rs = frozenset(broker_rack[n] for n in nodes if n in broker_rack)
            if rs:
                out[TopicPartition(topic, p)] = rs
    return out


def to_wire(result: GroupAssignment) -> dict[str, ConsumerProtocolAssignment]:
    """Core assignment -> kafka-python ``ConsumerProtocolAssignment`` per member."""
    return {
        m: ConsumerProtocolAssignment(
            version=0,
            assigned_partitions=_topic_lists(tps),
            user_data=b"",
        )
        for m, tps in result.owned.items()
    }
