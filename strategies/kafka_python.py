"""kafka-python adapter: every assignor as a ``KafkaConsumer`` partition assignment strategy.

Pass **classes** (kafka-python instantiates them with no arguments) or **instances** (used as
they are) in ``partition_assignment_strategy``::

    from kafka import KafkaConsumer
    from strategies.kafka_python import (
        KafkaPythonAssignor, KpartCooperativeStickyAssignor, KpartRangeAssignor, attach)

    # classes: one per built-in name, prefixed "Kpart" so that an import never shadows
    # kafka-python's own RangePartitionAssignor, CooperativeStickyPartitionAssignor, ...
    attach(KafkaConsumer("orders", group_id="billing",
                         partition_assignment_strategy=[KpartCooperativeStickyAssignor]))

    # instances: any registered assignor by name, with this member's rack (KIP-881)
    attach(KafkaConsumer("orders", group_id="billing", client_rack="use1-az1",
                         partition_assignment_strategy=[KafkaPythonAssignor("sticky", rack="use1-az1")]))

    # rolling upgrade to cooperative (two bounces), as with the Java client:
    #   1st bounce: [KpartCooperativeStickyAssignor, KpartRangeAssignor]  (runs EAGER)
    #   2nd bounce: [KpartCooperativeStickyAssignor]                      (COOPERATIVE)

Classes: ``KpartRangeAssignor``, ``KpartRoundRobinAssignor``, ``KpartStickyAssignor``,
``KpartCooperativeStickyAssignor``, ``KpartWeightedStickyAssignor``. Each reports the core
assignor's ``name`` (the protocol name other clients use, so mixed groups agree) and its
``supported_protocols()``.

What a member sends (``metadata()``): ConsumerProtocol subscription v3 with its topics, the
assignor's user data (Java-compatible), its owned partitions (only under COOPERATIVE — under
EAGER a member has revoked everything before it joins, as in the Java client), its generation
and rack. The protocol the consumer runs, and the partitions it really owns, are read from the
consumer given to :func:`attach`; pass ``protocol=`` to state the protocol explicitly instead.

What the leader does (``assign()``): decodes every member's subscription (topics, user data,
owned partitions, generation, rack, ``group.instance.id``) into the core types, builds our
:class:`~strategies.core.ClusterMetadata` (partition counts, replica racks) from kafka-python's
``kafka.cluster.ClusterMetadata`` (:func:`core_metadata`), runs the core
assignor and encodes the result. Static members keep their ``group.instance.id`` so range and
round-robin place them by it; a static member that restarts within the session timeout is
given its assignment back by the broker without a rebalance.

The seam is explicit: build the consumer, then hand it to :func:`attach` (or build it with
:func:`create_consumer`, which also sets the reconnect back-off the Java client uses)::

    from strategies.kafka_python import attach, create_consumer

    consumer = attach(KafkaConsumer("orders", group_id="billing", reconnect_backoff_max_ms=1000,
                                    partition_assignment_strategy=[KpartCooperativeStickyAssignor]))
    consumer = create_consumer("orders", group_id="billing")  # the same, cooperative-sticky

An assignor that was not attached raises on its first ``metadata()`` call (inside the first
``poll()``), so a forgotten ``attach`` cannot go unnoticed. ``attach`` gives the consumer,
through :mod:`kpart.compat.kafka_python` (the one place that touches kafka-python internals,
gated on the versions it knows):

- the protocol it runs and the partitions it really owns, for ``metadata()``;
- JoinGroup rounds that finish even when ``poll()`` times out in the middle of one;
- a lapsed session ends ownership: when no heartbeat has been answered for longer than
  ``session_timeout_ms`` (coordinator unreachable, e.g. a broker restart with kafka-python's
  30 s ``reconnect_backoff_max_ms``), the next ``poll()`` calls the listener's
  ``on_partitions_lost``, returns no more records from those partitions, and rejoins — the
  broker has already given them to another member;
- any member, not only the leader, asks for a rebalance when a subscribed topic gains
  partitions (a restarted static leader rejoins as a follower with kafka-python's JoinGroup
  v7, so otherwise nobody would);
- the leader survives members whose subscription bytes cannot be decoded: each is named in a
  warning and assigned nothing, and the rest of the group gets a valid assignment;
- the leader fetches the metadata of every topic the members subscribe to before it assigns,
  so a topic that enters the group is assigned in that round, not one round later;
- the offset commit before a rebalance (``enable_auto_commit``) gets at least 10 s (capped at
  ``max_poll_interval_ms``) instead of what is left of the current ``poll(timeout_ms)``, which
  kafka-python gives up on, causing duplicate delivery: such a ``poll()`` can return later than
  its timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from kpart.extras import require

require("kafka", "kafka-python")  # one line naming the extra when kafka-python is missing

from kafka import KafkaConsumer
from kafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from kafka.coordinator.assignors.abstract import RebalanceProtocol as KafkaRebalanceProtocol
from kafka.protocol.consumer.metadata import (
    ConsumerProtocolAssignment,
    ConsumerProtocolSubscription,
)
from kafka.util import ensure_valid_topic_name

from kpart.compat import kafka_python as compat
from strategies.core import (
    Assignor,
    GroupAssignment,
    MemberSubscription,
    RebalanceProtocol,
    TopicPartition,
    partitions_by_topic,
)
from strategies.core import ClusterMetadata as CoreMetadata
from strategies.registry import get_assignor

log = logging.getLogger("strategies")

SUBSCRIPTION_VERSION = 3

JAVA_LIKE_DEFAULTS: dict[str, Any] = {"reconnect_backoff_max_ms": 1000}
"""Settings :func:`create_consumer` applies unless given: kafka-python's default
``reconnect_backoff_max_ms`` is 30,000 ms (Java's 1,000 ms), which after a broker restart keeps
a member away from its group for up to 30 s."""


class NotAttachedError(RuntimeError):
    """A :class:`KafkaPythonAssignor` used by a consumer that was not given to :func:`attach`."""


def _nothing() -> None:
    pass


class KafkaPythonAssignor(AbstractPartitionAssignor):
    """Wraps a core :class:`~strategies.core.Assignor` as a kafka-python assignor.

    ``assignor``: a core assignor or a registered name. ``rack``: this member's rack, sent to
    the leader for rack-aware assignment. ``protocol``: the rebalance protocol this consumer
    runs; by default it is read from the consumer given to :func:`attach`. One instance serves
    one consumer.
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
        self._coordinator: Any = None
        self._joined: Callable[[], None] = _nothing

    @property
    def name(self) -> str:
        return self.core.name

    def supported_protocols(self) -> list[KafkaRebalanceProtocol]:
        return [KafkaRebalanceProtocol(p.value) for p in self.core.protocols]

    def metadata(self, topics: Iterable[str]) -> ConsumerProtocolSubscription:
        coordinator = self._coordinator
        if coordinator is None:
            raise NotAttachedError(
                f"the {self.name!r} assignor is not attached to its consumer: call"
                " strategies.kafka_python.attach(consumer) right after KafkaConsumer(...)"
                " (or build it with strategies.kafka_python.create_consumer)"
            )
        protocol = self.protocol or RebalanceProtocol(compat.rebalance_protocol(coordinator))
        self.owned = tuple(TopicPartition(t, p) for t, p in compat.owned_partitions(coordinator))
        owned = self.owned if protocol is RebalanceProtocol.COOPERATIVE else ()
        return ConsumerProtocolSubscription(
            version=SUBSCRIPTION_VERSION,
            topics=sorted(topics),
            user_data=self.core.encode_user_data(self.owned, self.generation),
            owned_partitions=[ConsumerProtocolSubscription.TopicPartition(topic=t, partitions=p)
                              for t, p in partitions_by_topic(owned)],
            generation_id=self.generation,
            rack_id=self.rack,
        )

    def _bind(self, coordinator: Any, joined: Callable[[], None] = _nothing) -> None:
        """Read the protocol and owned partitions from ``coordinator`` (done by :func:`attach`)."""
        if self._coordinator is not None and self._coordinator is not coordinator:
            raise ValueError(f"this {self.name!r} assignor instance is already attached to another"
                             " consumer: give each consumer its own instance (or pass the class)")
        self._coordinator = coordinator
        self._joined = joined

    def _forget(self) -> None:
        """The member lost its partitions and generation (lapsed session)."""
        self.owned, self.generation = (), -1

    def on_assignment(self, assignment: ConsumerProtocolAssignment, generation: int) -> None:
        self.owned = tuple(sorted(TopicPartition(tp.topic, tp.partition)
                                  for tp in assignment.partitions()))
        self.generation = generation
        self._joined()

    def assign(self, cluster: Any, members: Iterable[Any]) -> dict[str, ConsumerProtocolAssignment]:
        """``cluster`` is kafka-python's ``ClusterMetadata``; the core gets ours."""
        group = subscriptions_from_members(members)
        result = self.core.assign(group, core_metadata(cluster, group))
        return to_wire(result)


class KpartRangeAssignor(KafkaPythonAssignor):
    """``range`` (Java semantics, rack-aware when racks are known)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("range", **kwargs)


class KpartRoundRobinAssignor(KafkaPythonAssignor):
    """``roundrobin`` (Java semantics)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("roundrobin", **kwargs)


class KpartStickyAssignor(KafkaPythonAssignor):
    """``sticky`` (Java-compatible user data)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("sticky", **kwargs)


class KpartCooperativeStickyAssignor(KafkaPythonAssignor):
    """``cooperative-sticky`` (COOPERATIVE and EAGER)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("cooperative-sticky", **kwargs)


class KpartWeightedStickyAssignor(KafkaPythonAssignor):
    """``weighted-sticky`` with unit weights; wrap ``WeightedStickyAssignor(weights)`` in
    :class:`KafkaPythonAssignor` to pass a weight callback."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("weighted-sticky", **kwargs)


def attach(consumer: KafkaConsumer) -> KafkaConsumer:
    """Connect this module's assignors to the ``KafkaConsumer`` that runs them; returns it.

    Call once, right after ``KafkaConsumer(partition_assignment_strategy=[...])`` and before
    the first ``poll()``; calling it again does nothing. Raises ``ValueError`` if none of the
    consumer's assignors comes from this module, and
    :class:`~kpart.compat.kafka_python.KafkaPythonCompatError` on a kafka-python version or
    shape the compatibility module does not know. What it changes is in the module docstring.
    """
    coordinator = compat.consumer_coordinator(consumer)
    if getattr(coordinator, "_kpart_attached", False):
        return consumer
    assignors = compat.coordinator_assignors(coordinator)
    ours = [a for a in assignors if isinstance(a, KafkaPythonAssignor)]
    if not ours:
        raise ValueError(
            "attach(): none of the consumer's assignors comes from strategies.kafka_python"
            f" (it has {', '.join(a.name for a in assignors) or 'none'}); pass them in"
            " partition_assignment_strategy"
        )
    for assignor in ours:  # first, so a shared instance is refused before anything changes
        if assignor._coordinator not in (None, coordinator):
            assignor._bind(coordinator)
    compat.complete_join_rounds(coordinator)
    joined = compat.rejoin_when_partitions_grow(coordinator)
    compat.decode_members_safely(coordinator, sanitize_subscription)
    compat.commit_before_rebalance_in_time(coordinator)
    compat.learn_topics_before_assigning(coordinator, subscribed_topics)
    for assignor in ours:
        assignor._bind(coordinator, joined)

    def forget() -> None:
        for assignor in ours:
            assignor._forget()

    compat.drop_partitions_when_session_lapses(coordinator, forget)
    coordinator._kpart_forget = forget
    coordinator._kpart_attached = True
    return consumer


class OwnershipGuard:
    """Per-record proof that this member still owns a partition, for the records in hand.

    ``poll()`` checks the session before it fetches, but the records it returned are processed
    afterwards; if the member stops meanwhile (a pause, SIGSTOP, processing slower than
    ``session_timeout_ms``) past its session, the coordinator has already given those
    partitions to another member, which processes them too. The Java client has the same
    window. Ask the guard before each record::

        guard = OwnershipGuard(consumer)
        for record in guard.records(consumer.poll(timeout_ms=200)):
            process(record)

    Guarantees: :meth:`owns` is false for a partition not assigned to this member, and for
    every partition from the moment its session lapsed (the sending of its last answered
    heartbeat plus ``session_timeout_ms``) or kafka-python reset its generation; the first
    call that finds the lapse runs the listener's ``on_partitions_lost`` at once (not at the
    next ``poll()``), where :attr:`lapsed_at` tells the moment. :meth:`records` yields no
    record :meth:`owns` refuses. A record yielded just before the process is stopped is still
    processed after it resumes: the check cannot be atomic with what the caller does next.
    """

    def __init__(self, consumer: KafkaConsumer) -> None:
        coordinator = compat.consumer_coordinator(consumer)
        if not getattr(coordinator, "_kpart_attached", False):
            raise NotAttachedError("OwnershipGuard needs a consumer given to"
                                   " strategies.kafka_python.attach (or built by create_consumer)")
        self._coordinator = coordinator
        self._forget: Callable[[], None] = coordinator._kpart_forget

    def owns(self, tp: Any) -> bool:
        """Whether ``tp`` (a kafka-python ``TopicPartition``) is still this member's to process."""
        if compat.lose_partitions_if_lapsed(self._coordinator, self._forget) is not None:
            return False
        return compat.is_assigned(self._coordinator, tp)

    @property
    def lapsed_at(self) -> float | None:
        """Inside ``on_partitions_lost`` run for a lapsed session: the ``time.monotonic()``
        moment it lapsed; otherwise ``None``."""
        return compat.lapse_being_handled(self._coordinator)

    def records(self, batches: Mapping[Any, Iterable[Any]]) -> Iterator[Any]:
        """The records of a ``poll()`` result, each checked with :meth:`owns` just before it is
        yielded; the rest of a partition's batch is dropped once it is refused."""
        for tp, records in batches.items():
            for record in records:
                if not self.owns(tp):
                    break
                yield record


def create_consumer(*topics: str, **configs: Any) -> KafkaConsumer:
    """``attach(KafkaConsumer(*topics, **configs))`` with :data:`JAVA_LIKE_DEFAULTS` applied
    (unless given) and ``partition_assignment_strategy`` defaulting to cooperative-sticky."""
    for key, value in JAVA_LIKE_DEFAULTS.items():
        configs.setdefault(key, value)
    configs.setdefault("partition_assignment_strategy", [KpartCooperativeStickyAssignor])
    return attach(KafkaConsumer(*topics, **configs))


def decode_subscription(member_id: str, raw: Any, warn: bool = True) -> Any:
    """A member's ConsumerProtocol subscription, or ``None`` (with a warning naming the member,
    unless ``warn`` is false) when its bytes cannot be decoded: truncated, random, naming an
    invalid topic."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        return raw  # already decoded
    data = bytes(raw)
    try:
        meta = ConsumerProtocolSubscription.decode(data)
        for topic in meta.topics or ():
            ensure_valid_topic_name(topic)  # the leader asks the broker about every one
        for tp in getattr(meta, "owned_partitions", None) or ():
            if not isinstance(tp.topic, str) or any(not isinstance(p, int) for p in tp.partitions):
                raise ValueError("an owned partition is malformed")
    except Exception as exc:  # noqa: BLE001 - whatever the bytes, the group must go on
        if warn:
            log.warning("member %r sent a subscription that cannot be decoded (%d bytes: %s);"
                        " it is assigned nothing this round", member_id, len(data), exc)
        return None
    return meta


def subscribed_topics(members: Iterable[Any]) -> set[str]:
    """Every topic the members of a JoinGroup response subscribe to (undecodable ones skipped)."""
    topics: set[str] = set()
    for member in members:
        meta = decode_subscription(member.member_id, member.metadata, warn=False)
        if meta is not None:
            topics.update(meta.topics or ())
    return topics


def sanitize_subscription(member_id: str, raw: Any) -> bytes:
    """The member's subscription bytes if they decode, else an empty (no topic) subscription."""
    if decode_subscription(member_id, raw) is None:
        empty: bytes = ConsumerProtocolSubscription(version=0, topics=[], user_data=None).encode()
        return empty
    return bytes(raw)


def subscriptions_from_members(members: Iterable[Any]) -> dict[str, MemberSubscription]:
    """kafka-python ``JoinGroupResponseMember``s -> core subscriptions (duplicates logged)."""
    group: dict[str, MemberSubscription] = {}
    for member in members:
        member_id = member.member_id
        if member_id in group:
            log.warning("duplicate member id %r in the group; keeping its first subscription",
                        member_id)
            continue
        meta = decode_subscription(member_id, member.metadata)
        if meta is None:
            meta = ConsumerProtocolSubscription(version=0, topics=[], user_data=None)
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


def core_metadata(kafka_cluster: Any, group: dict[str, MemberSubscription]) -> CoreMetadata:
    """Our :class:`~strategies.core.ClusterMetadata` read from kafka-python's
    ``kafka.cluster.ClusterMetadata``: partition counts of the subscribed topics, and replica
    racks when members and brokers report racks."""
    topics = set().union(*(s.topics for s in group.values())) if group else set()
    counts: dict[str, int] = {}
    for topic in topics:
        parts = kafka_cluster.partitions_for_topic(topic)
        if parts:
            counts[topic] = len(parts)
    racks: dict[TopicPartition, frozenset[str]] = {}
    if any(s.rack for s in group.values()):
        racks = _replica_racks(kafka_cluster, counts)
    return CoreMetadata(counts, racks)


def _replica_racks(kafka_cluster: Any, counts: dict[str, int]) -> dict[TopicPartition, frozenset[str]]:
    broker_rack = {b.node_id: b.rack for b in kafka_cluster.brokers() if getattr(b, "rack", None)}
    out: dict[TopicPartition, frozenset[str]] = {}
    if not broker_rack:
        return out
    for topic, count in counts.items():
        for p in range(count):
            rs = frozenset(broker_rack[n] for n in compat.replica_nodes(kafka_cluster, topic, p, broker_rack))
            if rs:
                out[TopicPartition(topic, p)] = rs
    return out


def to_wire(result: GroupAssignment) -> dict[str, ConsumerProtocolAssignment]:
    """Core assignment -> kafka-python ``ConsumerProtocolAssignment`` per member."""
    return {
        m: ConsumerProtocolAssignment(
            version=0,
            assigned_partitions=partitions_by_topic(tps),
            user_data=b"",
        )
        for m, tps in result.owned.items()
    }
