"""Every use of kafka-python internals in kpart, gated on the kafka-python versions it knows.

kafka-python 3.x has no public API for what the adapters need. Consumer side
(``strategies.kafka_python.attach``): the rebalance protocol and owned partitions a member
sends; JoinGroup rounds that finish across short polls (two defects, below); a member whose
session lapsed stops consuming; any member asks for a rebalance when a topic grows; the leader
sanitizes members' subscriptions and fetches metadata for their topics before assigning; the
pre-rebalance commit gets a bounded time of its own. Producer side
(``partitioning.producer.BoundedProducer``, ``partitioning.kafka_python``): the per-record
size check where memory is bounded, the sender thread, the record batches (load view, stuck
records). They live here, and only here.

Guarantee: on a kafka-python version not in :data:`KNOWN_VERSIONS`, or when an attribute
this module relies on is missing, the first call raises :class:`KafkaPythonCompatError`
naming the version and the attribute; it never degrades silently.

JoinGroup defects worked around by :func:`complete_join_rounds` (kafka-python 3.0.12): when
``poll(timeout_ms=...)`` returns before a JoinGroup/SyncGroup round is over, kafka-python keeps
the round (``_join_task``) for the next ``poll()``, but

- ``need_rejoin()`` does not count a pending round, so a round started because the leader saw
  the metadata change is never returned to, and the member is expelled after the session
  timeout;
- ``join_group_async()`` drops a round that finished between two polls and sends a new
  JoinGroup, which costs the group one more rebalance.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from kpart.extras import require

require("kafka", "kafka-python")  # one line naming the extra when kafka-python is missing

import kafka
from kafka.structs import MemberState
from kafka.structs import TopicPartition as KafkaTopicPartition

__all__ = [
    "KNOWN_VERSIONS",
    "KafkaPythonCompatError",
    "RECORD_SIZE_HOOK",
    "REVOCATION_COMMIT_TIMEOUT_MS",
    "abort_stuck_batches",
    "accumulator_batches",
    "check_version",
    "commit_before_rebalance_in_time",
    "complete_join_rounds",
    "consumer_coordinator",
    "coordinator_assignors",
    "decode_members_safely",
    "drop_partitions_when_session_lapses",
    "lapse_being_handled",
    "learn_topics_before_assigning",
    "is_assigned",
    "lose_partitions_if_lapsed",
    "oldest_unresolved_batch_age",
    "owned_partitions",
    "ownership_lapsed_at",
    "rebalance_protocol",
    "rejoin_when_partitions_grow",
    "replica_nodes",
    "require_record_size_hook",
    "sender_thread",
    "session_deadline",
    "track_session",
]

log = logging.getLogger("kpart.compat")

KNOWN_VERSIONS = frozenset({"3.0.12"})
"""kafka-python versions whose internals this module was checked against."""


class KafkaPythonCompatError(RuntimeError):
    """kafka-python is a version, or has a shape, that kpart was not checked against."""


def check_version(version: str | None = None) -> str:
    """The installed kafka-python version; raises if it is not in :data:`KNOWN_VERSIONS`."""
    found = kafka.__version__ if version is None else version
    if found not in KNOWN_VERSIONS:
        raise KafkaPythonCompatError(
            f"kafka-python {found} is not supported by kpart (known: {', '.join(sorted(KNOWN_VERSIONS))}):"
            " kpart relies on kafka-python internals; install a known version"
        )
    return found


def _require(obj: Any, attrs: Iterable[str], what: str) -> None:
    missing = [a for a in attrs if not hasattr(obj, a)]
    if missing:
        raise KafkaPythonCompatError(
            f"{what} ({type(obj).__name__}) has no {', '.join(missing)} in kafka-python"
            f" {kafka.__version__}: kpart cannot run with this kafka-python"
        )


# ---- consumer ---------------------------------------------------------------------------------

_COORDINATOR_ATTRS = (
    "_assignors", "_subscription", "_rebalance_protocol", "_join_task", "_metadata_snapshot",
    "_is_leader", "join_group_async", "need_rejoin", "poll", "heartbeat", "state", "config",
    "reset_generation", "coordinator_dead", "request_rejoin", "_lock", "_net", "_generation",
)


def consumer_coordinator(consumer: Any) -> Any:
    """The group coordinator of a ``KafkaConsumer``, checked to have what kpart uses."""
    check_version()
    _require(consumer, ("_coordinator",), "the consumer")
    coordinator = consumer._coordinator
    _require(coordinator, _COORDINATOR_ATTRS, "the consumer's coordinator")
    _require(coordinator.heartbeat, ("last_receive", "last_reset"), "the coordinator's heartbeat")
    return coordinator


def coordinator_assignors(coordinator: Any) -> list[Any]:
    """The assignor instances a coordinator built from ``partition_assignment_strategy``."""
    return list(coordinator._assignors.values())


def rebalance_protocol(coordinator: Any) -> int:
    """The protocol the consumer runs (kafka-python picks it from its whole strategy list)."""
    return int(coordinator._rebalance_protocol)


def owned_partitions(coordinator: Any) -> list[tuple[str, int]]:
    """The partitions the consumer really owns now, as (topic, partition)."""
    return sorted((tp.topic, tp.partition) for tp in coordinator._subscription.assigned_partitions())


def replica_nodes(cluster: Any, topic: str, partition: int, nodes: Iterable[int]) -> list[int]:
    """Which of ``nodes`` hold a replica of the partition (kafka-python's public lookup)."""
    tp = KafkaTopicPartition(topic, partition)
    return [n for n in nodes if cluster.is_replica_node(tp, n) is not None]


class _FinishedJoinRound:
    """A finished round kafka-python has not taken yet; reports itself as not done, so
    ``join_group_async`` awaits it (and gets its assignment or error at once)."""

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
    """Make a coordinator finish every JoinGroup/SyncGroup round it starts (module docstring):
    a pending round keeps ``need_rejoin()`` true; a round finished between two polls is taken,
    not repeated; a round that failed with a non-Kafka error (an assignor error) is raised
    once, then the next ``poll()`` rejoins. Installed once per coordinator."""
    if getattr(coordinator, "_kpart_completes_joins", False):
        return
    _require(coordinator, ("_join_task", "join_group_async", "need_rejoin", "rejoin_needed"),
             "the consumer's coordinator")
    join = coordinator.join_group_async
    need_rejoin = coordinator.need_rejoin

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
            left = coordinator._join_task
            if isinstance(left, _FinishedJoinRound) or (left is not None and left.is_done):
                coordinator._join_task = None
                coordinator.rejoin_needed = True
            raise

    coordinator.need_rejoin = need_rejoin_or_pending
    coordinator.join_group_async = join_group_async
    coordinator._kpart_completes_joins = True


def rejoin_when_partitions_grow(coordinator: Any) -> Callable[[], None]:
    """Any member (not only the leader) asks for a rebalance when a subscribed topic it knows
    gains partitions. kafka-python only lets the leader watch metadata, and its JoinGroup v7
    never tells a restarted static leader that it still leads, so without this nobody would.

    Returns ``joined()``: call it when an assignment arrives, to record the partition counts
    that assignment was made with."""
    counts: dict[str, int] = {}
    need_rejoin = coordinator.need_rejoin

    def joined() -> None:
        counts.clear()
        counts.update({t: len(p) for t, p in coordinator._metadata_snapshot.items()})

    def need_rejoin_or_grown() -> bool:
        if need_rejoin():
            return True
        snapshot = coordinator._metadata_snapshot
        grown = [t for t, n in counts.items() if len(snapshot.get(t) or ()) > n]
        if grown and coordinator.state is MemberState.STABLE:
            log.info("group %s: partitions added to %s; requesting a rebalance",
                     coordinator.group_id, ", ".join(sorted(grown)))
            joined()  # ask once per growth
            coordinator.request_rejoin()
            return True
        return False

    coordinator.need_rejoin = need_rejoin_or_grown
    return joined


_SESSION_REQUESTS = {"HeartbeatRequest": (0, 27), "JoinGroupRequest": (0,), "SyncGroupRequest": (0,)}
"""Requests whose answer (these error codes; 27 is REBALANCE_IN_PROGRESS, which the broker
sends a member it still counts) proves the coordinator kept this member's session."""


class _RecordSessionEvidence:
    """The coordinator's connection manager, except that it remembers when the last request
    the coordinator answered for a live member (:data:`_SESSION_REQUESTS`) was *sent*."""

    def __init__(self, manager: Any) -> None:
        self._manager = manager
        self.kept_at = float("-inf")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        sent_at = time.monotonic()
        sent = self._manager.send(request, *args, **kwargs)
        kinds = _SESSION_REQUESTS.get(type(request).__name__.split("_v")[0])
        if kinds is None:
            return sent
        return self._answered(sent, sent_at, kinds)

    async def _answered(self, sent: Any, sent_at: float, kinds: tuple[int, ...]) -> Any:
        response = await sent
        if getattr(response, "error_code", -1) in kinds:
            self.kept_at = max(self.kept_at, sent_at)
        return response


def track_session(coordinator: Any) -> None:
    """Remember when the coordinator last confirmed this member's session (see
    :func:`session_deadline`). kafka-python's own clock for it (``heartbeat.last_reset``) also
    restarts when the coordinator is merely looked up again, which a member resumed after a
    long stop does before it learns it was expelled. Installed once per coordinator."""
    if getattr(coordinator, "_kpart_session", None) is not None:
        return
    _require(coordinator, ("_manager",), "the consumer's coordinator")
    _require(coordinator._manager, ("send",), "the coordinator's connection manager")
    evidence = _RecordSessionEvidence(coordinator._manager)
    coordinator._manager = evidence
    coordinator._kpart_session = evidence


def session_deadline(coordinator: Any) -> float:
    """The ``time.monotonic()`` moment the member's session lapses unless the coordinator
    answers it first: the sending of the last heartbeat, JoinGroup or SyncGroup the coordinator
    answered for it as a member, plus ``session_timeout_ms``. The coordinator received that
    request after it was sent, so its own deadline for the member is no earlier."""
    timeout_s: float = coordinator.config["session_timeout_ms"] / 1000
    return float(coordinator._kpart_session.kept_at) + timeout_s


def ownership_lapsed_at(coordinator: Any, now: float | None = None) -> float | None:
    """When the partitions this member holds stopped being its own, or ``None`` while they
    still are (or it holds none). They stop being its own when its session lapses while it is
    in the group (:func:`session_deadline` passed) — the moment returned is the deadline — or
    when kafka-python has already reset its generation (the coordinator expelled it, or it left
    the group) with partitions still assigned: then the deadline or ``now``, the earlier."""
    if not coordinator._subscription.assignment:
        return None
    now = time.monotonic() if now is None else now
    deadline = session_deadline(coordinator)
    if coordinator._generation.is_lost():
        return min(deadline, now)
    if coordinator.state is MemberState.STABLE and now > deadline:
        return deadline
    return None


def is_assigned(coordinator: Any, tp: Any) -> bool:
    """Whether kafka-python's subscription state still assigns ``tp`` to this member."""
    return bool(coordinator._subscription.is_assigned(tp))


def lose_partitions_if_lapsed(coordinator: Any, on_lost: Callable[[], None]) -> float | None:
    """If :func:`ownership_lapsed_at` says the member's partitions are no longer its own, treat
    them as lost now, as the Java client does on a lapsed session: the listener's
    ``on_partitions_lost`` runs, the partitions are unassigned (no more records from them), the
    member forgets its generation and rejoins at its next ``poll()``; ``on_lost()`` runs after
    (the adapter resets its assignors). Returns the lapse moment, or ``None`` (nothing done)."""
    lapsed = ownership_lapsed_at(coordinator)
    if lapsed is not None:
        coordinator._kpart_lapsed_at = lapsed  # read by lapse_being_handled() in the listener
        try:
            _lose_partitions(coordinator, time.monotonic() - lapsed)
        finally:
            coordinator._kpart_lapsed_at = None
        on_lost()
    return lapsed


def lapse_being_handled(coordinator: Any) -> float | None:
    """Inside an ``on_partitions_lost`` that :func:`lose_partitions_if_lapsed` runs: the lapse
    moment it found; elsewhere ``None``."""
    lapsed: float | None = getattr(coordinator, "_kpart_lapsed_at", None)
    return lapsed


def drop_partitions_when_session_lapses(coordinator: Any, on_lost: Callable[[], None]) -> None:
    """Before every ``poll()``: :func:`lose_partitions_if_lapsed` (the broker has expelled this
    member and given its partitions away)."""
    if getattr(coordinator, "_kpart_drops_lapsed", False):
        return
    track_session(coordinator)
    poll = coordinator.poll

    def poll_unless_lapsed(timeout_ms: Any = None) -> Any:
        lose_partitions_if_lapsed(coordinator, on_lost)
        return poll(timeout_ms=timeout_ms)

    coordinator.poll = poll_unless_lapsed
    coordinator._kpart_drops_lapsed = True


def _lose_partitions(coordinator: Any, silent: float) -> None:
    subscription = coordinator._subscription
    lost = set(subscription.assigned_partitions())
    log.warning(
        "group %s: session lapsed %.1f s ago (session_timeout_ms=%d) or the member left the group:"
        " the coordinator has given its partitions away; treating %d partition(s) as lost and"
        " rejoining", coordinator.group_id, silent, coordinator.config["session_timeout_ms"], len(lost))
    subscription.mark_pending_revocation(lost)
    listener = subscription.rebalance_listener
    try:
        if listener is not None:
            callback = listener.on_partitions_lost
            if inspect.iscoroutinefunction(callback):
                coordinator._net.run(callback, lost)
            else:
                callback(lost)
    finally:
        subscription.assign_from_subscribed([])
        coordinator._is_leader = False
        coordinator.reset_generation()
        coordinator.coordinator_dead("session timeout passed without an answered heartbeat")


# ---- producer ---------------------------------------------------------------------------------

RECORD_SIZE_HOOK = "_ensure_valid_record_size"
"""``KafkaProducer`` method ``send()`` calls once per record with its size, before queueing it."""


def require_record_size_hook(producer_class: type) -> None:
    """Check kafka-python's ``send()`` still calls :data:`RECORD_SIZE_HOOK` (the version gate;
    ``BoundedProducer`` also checks every ``send()`` that the hook ran)."""
    check_version()
    _require(producer_class, (RECORD_SIZE_HOOK,), "KafkaProducer")


def sender_thread(producer: Any) -> Any:
    """The producer's I/O thread (the one that runs delivery callbacks)."""
    return getattr(producer, "_sender", None)


def accumulator_batches(producer: Any) -> Any:
    """``RecordAccumulator._batches`` (TopicPartition -> deque of batches) of a producer."""
    check_version()
    _require(producer, ("_accumulator",), "the producer")
    _require(producer._accumulator, ("_batches",), "the producer's accumulator")
    return producer._accumulator._batches


def _incomplete(producer: Any) -> list[Any]:
    accumulator = producer._accumulator
    _require(accumulator, ("_incomplete", "deallocate", "_batches", "_tp_lock"), "the producer's accumulator")
    return list(accumulator._incomplete.all())


def oldest_unresolved_batch_age(producer: Any) -> float:
    """Seconds since the oldest batch neither acknowledged nor failed was created (0 if none)."""
    now = time.monotonic()
    ages = [now - b.created for b in _incomplete(producer) if not b.is_done]
    return max(ages, default=0.0)


_abort_lock = threading.Lock()


def abort_stuck_batches(producer: Any, error: BaseException) -> int:
    """Fail every unresolved batch with ``error`` (their record futures fail); returns how many
    records were failed. A batch the sender completes meanwhile is left to the sender."""
    accumulator = producer._accumulator
    failed = 0
    with _abort_lock:
        for batch in _incomplete(producer):
            with accumulator._tp_lock(batch.topic_partition):
                if batch.final_state is not None or batch.is_done:
                    continue
                try:
                    accumulator._batches[batch.topic_partition].remove(batch)
                    batch.records.close()
                except ValueError:
                    pass  # drained: in flight
                records = batch.record_count
                batch.abort(error)
            accumulator.deallocate(batch)
            failed += records
    return failed


def decode_members_safely(coordinator: Any, sanitize: Callable[[str, Any], bytes]) -> None:
    """The leader's ``_perform_assignment`` decodes every member's subscription itself before
    the assignor runs, so one member's undecodable bytes would fail the whole group's
    rebalance. Pass each member's bytes through ``sanitize(member_id, raw) -> bytes`` first."""
    if getattr(coordinator, "_kpart_sanitizes", False):
        return
    _require(coordinator, ("_perform_assignment",), "the consumer's coordinator")
    perform = coordinator._perform_assignment

    def perform_assignment(leader_id: str, protocol_name: str, members: list[Any]) -> Any:
        for member in members:
            member.metadata = sanitize(member.member_id, member.metadata)
        return perform(leader_id, protocol_name, members)

    coordinator._perform_assignment = perform_assignment
    coordinator._kpart_sanitizes = True


REVOCATION_COMMIT_TIMEOUT_MS = 10_000
"""Least time the pre-rebalance offset commit gets (bounded by ``max_poll_interval_ms``)."""


def commit_before_rebalance_in_time(coordinator: Any) -> None:
    """Before it rejoins, kafka-python commits consumed offsets (``enable_auto_commit``) with
    only what is left of the current ``poll(timeout_ms)``; a short poll gives the commit up
    ("duplicate message delivery") and the next owner re-reads those records. Give the commit
    at least :data:`REVOCATION_COMMIT_TIMEOUT_MS` (capped at ``max_poll_interval_ms``), as the
    Java client commits synchronously before it rejoins: that ``poll()`` may return that much
    later than its timeout."""
    if getattr(coordinator, "_kpart_commits_in_time", False):
        return
    _require(coordinator, ("_on_join_prepare_async", "_commit_offsets_sync_async"),
             "the consumer's coordinator")
    prepare = coordinator._on_join_prepare_async
    least = min(REVOCATION_COMMIT_TIMEOUT_MS, coordinator.config["max_poll_interval_ms"])

    async def prepare_with_time_to_commit(generation: Any, member_id: Any, timeout_ms: Any = None) -> Any:
        if timeout_ms is not None:
            timeout_ms = max(timeout_ms, least)
        return await prepare(generation, member_id, timeout_ms=timeout_ms)

    coordinator._on_join_prepare_async = prepare_with_time_to_commit
    coordinator._kpart_commits_in_time = True


class _LearnTopicsBeforeAssigning:
    """The coordinator's connection manager, except that a JoinGroup response that makes this
    member the leader is handed back only once the cluster metadata covers every topic the
    members subscribe to (or ``timeout_ms`` passed)."""

    def __init__(self, coordinator: Any, manager: Any, topics_of: Callable[[Any], set[str]],
                 timeout_ms: int) -> None:
        self._coordinator, self._manager = coordinator, manager
        self._topics_of, self._timeout_ms = topics_of, timeout_ms

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        sent = self._manager.send(request, *args, **kwargs)
        if not type(request).__name__.startswith("JoinGroupRequest"):
            return sent
        return self._joined(sent)

    async def _joined(self, sent: Any) -> Any:
        response = await sent
        if getattr(response, "error_code", 0) == 0 and response.leader == response.member_id:
            await self._learn(self._topics_of(response.members))
        return response

    async def _learn(self, topics: set[str]) -> None:
        coordinator = self._coordinator
        cluster = coordinator._cluster
        unknown = sorted(t for t in topics if cluster.partitions_for_topic(t) is None)
        if not unknown:
            return
        log.info("group %s: fetching metadata of %s before assigning", coordinator.group_id,
                 ", ".join(unknown))
        coordinator._subscription.group_subscribe(topics)
        cluster.set_topics(coordinator._subscription.group_subscription())
        try:
            await self._manager.wait_for(cluster.request_update(), self._timeout_ms)
        except Exception as exc:  # noqa: BLE001 - assign with what is known; kafka-python rejoins
            log.warning("group %s: metadata of %s not fetched before assigning (%s)",
                        coordinator.group_id, ", ".join(unknown), exc)


def learn_topics_before_assigning(coordinator: Any, topics_of: Callable[[Any], set[str]]) -> None:
    """The leader fetches the metadata of every topic the members subscribe to before it
    assigns, so a topic that enters the group is assigned in that round. kafka-python asks for
    it only after assigning, which skips the topic ("subscribed but unknown to the cluster
    metadata") and costs the group one more rebalance. ``topics_of(members)`` reads the topics
    from the JoinGroup response's members; the wait is bounded by ``request_timeout_ms``."""
    if getattr(coordinator, "_kpart_learns_topics", False):
        return
    _require(coordinator, ("_manager", "_cluster", "_subscription"), "the consumer's coordinator")
    _require(coordinator._manager, ("send", "wait_for"), "the coordinator's connection manager")
    coordinator._manager = _LearnTopicsBeforeAssigning(
        coordinator, coordinator._manager, topics_of, coordinator.config.get("request_timeout_ms", 30000))
    coordinator._kpart_learns_topics = True
