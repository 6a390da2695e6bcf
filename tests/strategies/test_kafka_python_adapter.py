"""kafka-python adapter: names, protocols, wire metadata, decoding members, the leader's job."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import kafka.errors as KafkaErrors
import pytest
from kafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from kafka.coordinator.assignors.abstract import RebalanceProtocol as KRP
from kafka.coordinator.base import BaseCoordinator, Generation
from kafka.future import Future
from kafka.net.manager import KafkaConnectionManager
from kafka.protocol.consumer.metadata import (
    ConsumerProtocolAssignment,
    ConsumerProtocolSubscription,
)
from kafka.structs import MemberState
from kafka.structs import TopicPartition as KTP

import strategies
from kpart.compat import kafka_python as compat
from kpart.compat.kafka_python import KafkaPythonCompatError, complete_join_rounds
from strategies import RebalanceProtocol, TopicPartition
from strategies.codec import decode_sticky, encode_sticky
from strategies.kafka_python import (
    KafkaPythonAssignor,
    KpartCooperativeStickyAssignor,
    KpartRangeAssignor,
    KpartRoundRobinAssignor,
    KpartStickyAssignor,
    NotAttachedError,
    attach,
)

Sub = ConsumerProtocolSubscription


@dataclass
class FakeMember:
    member_id: str
    metadata: Any
    group_instance_id: str | None = None


@dataclass
class FakeBroker:
    node_id: int
    rack: str | None


@dataclass
class FakeCluster:
    counts: dict[str, int]
    broker_racks: dict[int, str] = field(default_factory=dict)
    replicas: dict[tuple[str, int], list[int]] = field(default_factory=dict)

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        n = self.counts.get(topic)
        return None if n is None else set(range(n))

    def brokers(self) -> list[FakeBroker]:
        return [FakeBroker(n, r) for n, r in self.broker_racks.items()]

    def is_replica_node(self, tp: KTP, node_id: int) -> FakeBroker | None:
        """kafka-python's public lookup: the broker if it holds a replica of ``tp``."""
        if node_id in self.replicas.get((tp.topic, tp.partition), []):
            return FakeBroker(node_id, self.broker_racks.get(node_id))
        return None


def sub(topics: list[str], **kw: Any) -> Any:
    """A subscription as the leader sees it: encoded by the member, decoded by kafka-python."""
    kw.setdefault("user_data", None)
    return Sub.decode(Sub(version=3, topics=topics, **kw).encode())


def partitions(assignment: ConsumerProtocolAssignment) -> list[tuple[str, int]]:
    """The member's partitions, after the assignment crossed the wire (checked to match)."""
    decoded = ConsumerProtocolAssignment.decode(assignment.encode())
    here = sorted((tp.topic, tp.partition) for tp in assignment.partitions())
    there = sorted((tp.topic, tp.partition) for tp in decoded.partitions())
    assert here == there
    return there


@pytest.mark.parametrize("cls,name,protocols", [
    (KpartRangeAssignor, "range", [KRP.EAGER]),
    (KpartRoundRobinAssignor, "roundrobin", [KRP.EAGER]),
    (KpartStickyAssignor, "sticky", [KRP.EAGER]),
    (KpartCooperativeStickyAssignor, "cooperative-sticky", [KRP.COOPERATIVE, KRP.EAGER]),
])
def test_classes_have_kafka_names_and_protocols(cls: type, name: str, protocols: list) -> None:
    a = cls()
    assert isinstance(a, AbstractPartitionAssignor)
    assert a.name == name and a.supported_protocols() == protocols


def test_every_registered_name_wraps() -> None:
    for name in strategies.names():
        assert KafkaPythonAssignor(name).name == name


def test_unsupported_explicit_protocol_is_refused() -> None:
    with pytest.raises(ValueError, match="range does not support the COOPERATIVE"):
        KafkaPythonAssignor("range", protocol=RebalanceProtocol.COOPERATIVE)


def test_upgrade_list_shares_eager_with_kafka_pythons_range() -> None:
    from kafka.coordinator.assignors.range import RangePartitionAssignor as KafkaRange

    common = set(KpartCooperativeStickyAssignor().supported_protocols()) & set(
        KafkaRange().supported_protocols())
    assert common == {KRP.EAGER}


def test_metadata_after_assignment_carries_user_data_generation_rack() -> None:
    a = KpartStickyAssignor(rack="r1")
    a._bind(FakeCoordinator(a, KRP.EAGER, {KTP("t", 0), KTP("t", 1)}))
    wire = ConsumerProtocolAssignment(0, [("t", [1, 0])], b"").encode()
    a.on_assignment(ConsumerProtocolAssignment.decode(wire), 7)
    meta = Sub.decode(a.metadata({"t", "u"}).encode())
    assert meta.topics == ["t", "u"] and meta.rack_id == "r1" and meta.generation_id == 7
    data = decode_sticky(meta.user_data)
    assert (sorted(data.partitions), data.generation) == ([("t", 0), ("t", 1)], 7)
    assert meta.owned_partitions == []  # EAGER: a member owns nothing when it joins


class FakeSubscriptionState:
    def __init__(self, owned: set[KTP]) -> None:
        self.owned = owned

    def assigned_partitions(self) -> set[KTP]:
        return self.owned


class FakeCoordinator:
    """Mimics how kafka-python's coordinator calls ``metadata()`` from ``group_protocols()``."""

    def __init__(self, assignor: Any, protocol: KRP, owned: set[KTP]) -> None:
        self._assignors = {assignor.name: assignor}
        self._rebalance_protocol = protocol
        self._subscription = FakeSubscriptionState(owned)
        assignor._bind(self)

    def group_protocols(self) -> list[tuple[str, Any]]:
        return [(n, a.metadata({"t"})) for n, a in self._assignors.items()]


def owned_in(meta: Any) -> list[tuple[str, int]]:
    decoded = Sub.decode(meta.encode())
    return sorted((tp.topic, p) for tp in decoded.owned_partitions for p in tp.partitions)


def test_cooperative_consumer_sends_the_partitions_it_really_owns() -> None:
    a = KpartCooperativeStickyAssignor()
    coord = FakeCoordinator(a, KRP.COOPERATIVE, {KTP("t", 2), KTP("t", 0)})
    [(_, meta)] = coord.group_protocols()
    assert owned_in(meta) == [("t", 0), ("t", 2)]


def test_cooperative_sticky_run_eager_sends_no_owned_partitions() -> None:
    a = KpartCooperativeStickyAssignor()
    coord = FakeCoordinator(a, KRP.EAGER, {KTP("t", 2)})
    [(_, meta)] = coord.group_protocols()
    assert owned_in(meta) == []


def test_leader_decodes_members_and_matches_the_core() -> None:
    members = [
        FakeMember("d2", sub(["t"])),
        FakeMember("s1", sub(["t"]), group_instance_id="i1"),
        FakeMember("d1", sub(["t"])),
        FakeMember("s0", sub(["t"]), group_instance_id="i0"),
    ]
    out = KpartRangeAssignor().assign(FakeCluster({"t": 4}), members)
    assert {m: partitions(a) for m, a in out.items()} == {
        "s0": [("t", 0)], "s1": [("t", 1)], "d1": [("t", 2)], "d2": [("t", 3)]}


def test_leader_handles_different_subscriptions_in_roundrobin() -> None:
    members = [FakeMember("a", sub(["x"])), FakeMember("b", sub(["y"]))]
    out = KpartRoundRobinAssignor().assign(FakeCluster({"x": 2, "y": 1}), members)
    assert partitions(out["a"]) == [("x", 0), ("x", 1)] and partitions(out["b"]) == [("y", 0)]


def test_leader_reads_owned_partitions_and_generation_for_cooperative() -> None:
    TP = Sub.TopicPartition
    members = [
        FakeMember("A", sub(["t"], owned_partitions=[TP(topic="t", partitions=[0, 1, 2, 3])],
                            generation_id=3)),
        FakeMember("B", sub(["t"], generation_id=-1)),
    ]
    out = KpartCooperativeStickyAssignor().assign(FakeCluster({"t": 4}), members)
    assert len(partitions(out["A"])) == 2 and partitions(out["B"]) == []


def test_leader_reads_java_sticky_user_data() -> None:
    members = [
        FakeMember("A", sub(["t"], user_data=encode_sticky([TopicPartition("t", 3)], 5))),
        FakeMember("B", sub(["t"])),
    ]
    out = KpartStickyAssignor().assign(FakeCluster({"t": 2 + 2}), members)
    assert ("t", 3) in partitions(out["A"])


def test_leader_survives_duplicates_unknown_topics_and_corrupt_data(caplog) -> None:
    members = [
        FakeMember("A", sub(["t", "ghost"], user_data=b"\x00\x00\x00\x07zz")),
        FakeMember("A", sub(["t"])),
        FakeMember("B", sub(["t"])),
    ]
    with caplog.at_level(logging.WARNING, logger="strategies"):
        out = KpartStickyAssignor().assign(FakeCluster({"t": 2}), members)
    assert "duplicate member id 'A'" in caplog.text
    assert "ghost" in caplog.text and "ignoring user data" in caplog.text
    assert sorted(partitions(out["A"]) + partitions(out["B"])) == [("t", 0), ("t", 1)]


def test_leader_uses_replica_racks_reported_by_brokers() -> None:
    cluster = FakeCluster({"t": 2}, broker_racks={1: "r1", 2: "r2"},
                          replicas={("t", 0): [2], ("t", 1): [1]})
    members = [FakeMember("a", sub(["t"], rack_id="r1")), FakeMember("b", sub(["t"], rack_id="r2"))]
    out = KpartRangeAssignor().assign(cluster, members)
    assert partitions(out["a"]) == [("t", 1)] and partitions(out["b"]) == [("t", 0)]


# -- kafka-python's join loop: a round that finished between two polls ---------------------------
class FakeNet:
    def __init__(self) -> None:
        self.timeouts: list[Any] = []

    def call_later(self, delay: float, fn: Any) -> Any:
        self.timeouts.append(fn)
        return fn

    def cancel(self, handle: Any) -> None:
        if handle in self.timeouts:
            self.timeouts.remove(handle)

    async def sleep(self, seconds: float) -> None:
        return None


class FakeManager:
    """kafka-python's connection manager as the join loop uses it: its real ``wait_for``,
    and a ``call_soon`` that records each new JoinGroup round (left in flight)."""

    wait_for = KafkaConnectionManager.wait_for

    def __init__(self) -> None:
        self._net = FakeNet()
        self.rounds_started = 0
        self.fail_next_round: Exception | None = None

    def call_soon(self, coro: Any, *args: Any) -> Future:
        self.rounds_started += 1
        self.on_round_start()
        round_ = Future()
        if self.fail_next_round is not None:
            round_.failure(self.fail_next_round)
            self.fail_next_round = None
        return round_

    def on_round_start(self) -> None:
        pass


class JoiningCoordinator:
    """What kafka-python's real ``BaseCoordinator.join_group_async`` touches, nothing more."""

    join_group_async = BaseCoordinator.join_group_async
    _use_group_apis = True
    config = {"retry_backoff_ms": 100}

    def __init__(self) -> None:
        self._manager = FakeManager()
        self._lock = threading.RLock()
        self._generation = Generation(7, "m-1", "cooperative-sticky")
        self.rejoin_needed, self.rejoining = True, False
        self.metadata_changed = False  # the leader's other reason to rejoin, cleared by the round
        self._manager.on_round_start = self._perform_assignment
        self.state = MemberState.UNJOINED
        self._join_task: Any = None
        self.completed: list[tuple[int, str, str, bytes]] = []

    def need_rejoin(self) -> bool:
        return self.metadata_changed or self.rejoin_needed

    def _perform_assignment(self) -> None:
        self.metadata_changed = False  # the leader's round takes the new metadata snapshot

    async def ensure_coordinator_ready_async(self, timeout_ms: Any = None) -> bool:
        return True

    async def _on_join_prepare_async(self, generation: int, member_id: str, timeout_ms: Any = None) -> None:
        return None

    def _disable_heartbeat(self) -> None:
        pass

    def _enable_heartbeat(self) -> None:
        pass

    async def _do_join_and_sync_async(self) -> bytes:
        raise AssertionError("never run: call_soon only records the round")

    async def _on_join_complete_async(self, generation: int, member_id: str, protocol: str,
                                      assignment: bytes) -> None:
        self.completed.append((generation, member_id, protocol, assignment))

    def poll(self, timeout_ms: int = 100) -> bool:
        """One ``poll()``'s worth of joining, as kafka-python's ``ConsumerCoordinator.poll``
        does it: join only if ``need_rejoin()``; the poll timer expires if the round is pending."""
        if not self.need_rejoin():
            return True
        coro = self.join_group_async(timeout_ms=timeout_ms)
        try:
            while True:
                coro.send(None)  # suspended on a round still in flight: the poll times out
                for fire in list(self._manager._net.timeouts):
                    fire()
        except StopIteration as done:
            return bool(done.value)


def test_join_round_finishing_between_polls_is_taken_not_repeated() -> None:
    coord = JoiningCoordinator()
    complete_join_rounds(coord)
    assert coord.poll() is False and coord._manager.rounds_started == 1  # JoinGroup in flight
    coord._join_task.success(b"assignment")  # JoinGroup + SyncGroup finish between two polls
    assert coord.poll() is True
    assert coord._manager.rounds_started == 1, "kafka-python sent a second JoinGroup"
    assert coord.completed == [(7, "m-1", "cooperative-sticky", b"assignment")]
    assert coord.state == MemberState.STABLE and not coord.rejoin_needed and not coord.rejoining


def test_join_round_started_for_new_metadata_is_finished_by_the_next_polls() -> None:
    coord = JoiningCoordinator()
    coord.rejoin_needed, coord.metadata_changed = False, True  # a stable leader sees a topic grow
    complete_join_rounds(coord)
    assert coord.poll() is False and coord._manager.rounds_started == 1
    assert coord.poll() is False, "a pending round is still a reason to poll the join"
    coord._join_task.success(b"grown")
    assert coord.poll() is True and coord.completed == [(7, "m-1", "cooperative-sticky", b"grown")]
    assert coord.state == MemberState.STABLE and coord._manager.rounds_started == 1
    assert coord.poll() is True and coord._manager.rounds_started == 1  # nothing left to do


def test_join_round_failing_between_polls_raises_its_fatal_error() -> None:
    coord = JoiningCoordinator()
    complete_join_rounds(coord)
    coord.poll()
    coord._join_task.failure(KafkaErrors.GroupAuthorizationFailedError("g"))
    with pytest.raises(KafkaErrors.GroupAuthorizationFailedError):
        coord.poll()


@pytest.mark.parametrize("between_polls", [True, False])
def test_join_round_failing_with_an_assignor_error_raises_it_once_then_retries(between_polls: bool) -> None:
    coord = JoiningCoordinator()
    coord.rejoin_needed, coord.metadata_changed = False, True
    complete_join_rounds(coord)
    if between_polls:
        coord.poll()
        coord._join_task.failure(ValueError("assignor failed"))
    else:
        coord._manager.fail_next_round = ValueError("assignor failed")  # fails during the poll
    with pytest.raises(ValueError, match="assignor failed"):
        coord.poll()
    rounds = coord._manager.rounds_started
    assert coord.poll() is False and coord._manager.rounds_started == rounds + 1


def test_join_round_failing_between_polls_with_a_retriable_error_is_retried() -> None:
    coord = JoiningCoordinator()
    complete_join_rounds(coord)
    coord.poll()
    coord._join_task.failure(KafkaErrors.RebalanceInProgressError())
    assert coord.poll() is False and coord._manager.rounds_started == 2 and not coord.completed


def test_an_assignor_that_was_not_attached_refuses_to_send_a_subscription() -> None:
    with pytest.raises(NotAttachedError, match=r"'cooperative-sticky' assignor is not attached"):
        KpartCooperativeStickyAssignor().metadata({"t"})


def offline_consumer(**configs: Any) -> Any:
    from kafka import KafkaConsumer

    return KafkaConsumer(bootstrap_servers="127.0.0.1:1", group_id="g", api_version=(3, 9), **configs)


def test_attach_binds_the_assignors_once_and_refuses_consumers_without_ours() -> None:
    consumer = offline_consumer(partition_assignment_strategy=[KpartCooperativeStickyAssignor])
    try:
        assert attach(consumer) is consumer
        coordinator = compat.consumer_coordinator(consumer)
        patched = (coordinator.poll, coordinator.need_rejoin, coordinator.join_group_async)
        attach(consumer)
        assert (coordinator.poll, coordinator.need_rejoin, coordinator.join_group_async) == patched
        [assignor] = compat.coordinator_assignors(coordinator)
        meta = Sub.decode(assignor.metadata({"t"}).encode())  # protocol read from the consumer
        assert meta.topics == ["t"] and meta.owned_partitions == []
    finally:
        consumer.close()
    from kafka.coordinator.assignors.range import RangePartitionAssignor as KafkaRange

    plain = offline_consumer(partition_assignment_strategy=[KafkaRange])
    try:
        with pytest.raises(ValueError, match="none of the consumer's assignors comes from strategies"):
            attach(plain)
    finally:
        plain.close()


def test_unknown_kafka_python_version_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = offline_consumer(partition_assignment_strategy=[KpartCooperativeStickyAssignor])
    try:
        monkeypatch.setattr(compat.kafka, "__version__", "3.1.0")
        with pytest.raises(KafkaPythonCompatError, match=r"kafka-python 3.1.0 is not supported.*3.0.12"):
            attach(consumer)
    finally:
        consumer.close()


def test_a_missing_internal_fails_loudly_naming_it() -> None:
    consumer = offline_consumer(partition_assignment_strategy=[KpartCooperativeStickyAssignor])
    try:
        del compat.consumer_coordinator(consumer)._join_task
        with pytest.raises(KafkaPythonCompatError, match="has no _join_task in kafka-python 3.0.12"):
            attach(consumer)
    finally:
        consumer.close()


def stable_follower(consumer: Any, snapshot: dict[str, set[int]]) -> Any:
    """Put an offline consumer's real coordinator where a follower is after joining."""
    consumer.subscribe(["t"])
    coordinator = compat.consumer_coordinator(consumer)
    coordinator._joined_subscription = {"t"}
    coordinator.rejoin_needed, coordinator._assignment_snapshot = False, None  # not the leader
    coordinator._metadata_snapshot = snapshot
    coordinator.state = MemberState.STABLE
    return coordinator


@pytest.mark.parametrize("attached", [True, False])
def test_a_follower_that_sees_a_topic_grow_asks_for_a_rebalance(attached: bool) -> None:
    consumer = offline_consumer(partition_assignment_strategy=[KpartCooperativeStickyAssignor])
    try:
        if attached:
            attach(consumer)
        coordinator = stable_follower(consumer, {"t": {0, 1}})
        [assignor] = compat.coordinator_assignors(coordinator)
        assignor.on_assignment(ConsumerProtocolAssignment(0, [("t", [0])], b""), 3)
        assert coordinator.need_rejoin() is False
        coordinator._metadata_snapshot = {"t": {0, 1, 2}}  # the follower's metadata refresh
        # kafka-python alone: only the leader compares metadata, so nobody would rebalance
        assert coordinator.need_rejoin() is attached
        if attached:
            assert coordinator.rejoin_needed  # the request survives until the round runs
    finally:
        consumer.close()


@pytest.mark.parametrize("attached", [True, False])
def test_the_commit_before_a_rebalance_gets_time_even_from_a_short_poll(attached: bool) -> None:
    consumer = offline_consumer(partition_assignment_strategy=[KpartCooperativeStickyAssignor])
    try:
        if attached:
            attach(consumer)
        consumer.subscribe(["t"])
        coordinator = compat.consumer_coordinator(consumer)
        given: list[Any] = []

        async def commit(offsets: Any, timeout_ms: Any = None) -> None:
            given.append(timeout_ms)

        coordinator._commit_offsets_sync_async = commit
        # kafka-python's own prepare step, with what is left of a poll(timeout_ms=50)
        coordinator._net.run(coordinator._on_join_prepare_async, 3, "m-1", 50)
        assert given == ([compat.REVOCATION_COMMIT_TIMEOUT_MS] if attached else [50])
    finally:
        consumer.close()


def test_create_consumer_applies_the_java_reconnect_backoff_and_attaches() -> None:
    from strategies.kafka_python import JAVA_LIKE_DEFAULTS, create_consumer

    consumer = create_consumer(bootstrap_servers="127.0.0.1:1", group_id="g", api_version=(3, 9))
    try:
        assert JAVA_LIKE_DEFAULTS["reconnect_backoff_max_ms"] == 1000
        assert consumer.config["reconnect_backoff_max_ms"] == 1000
        coordinator = compat.consumer_coordinator(consumer)
        [assignor] = compat.coordinator_assignors(coordinator)
        assert assignor.name == "cooperative-sticky" and coordinator._kpart_attached
    finally:
        consumer.close()
    given = create_consumer(bootstrap_servers="127.0.0.1:1", group_id="g", api_version=(3, 9),
                            reconnect_backoff_max_ms=5000)
    try:
        assert given.config["reconnect_backoff_max_ms"] == 5000
    finally:
        given.close()


def test_one_assignor_instance_cannot_serve_two_consumers() -> None:
    shared = KafkaPythonAssignor("range")
    first = offline_consumer(partition_assignment_strategy=[shared])
    second = offline_consumer(partition_assignment_strategy=[shared])
    try:
        attach(first)
        with pytest.raises(ValueError, match="already attached to another consumer"):
            attach(second)
        assert not getattr(compat.consumer_coordinator(second), "_kpart_attached", False)
    finally:
        first.close()
        second.close()


def test_no_adapter_class_shadows_a_kafka_python_assignor_name() -> None:
    import importlib
    import pkgutil

    import kafka.coordinator.assignors as theirs

    import strategies.kafka_python as ours

    their_names: set[str] = set()
    for info in pkgutil.walk_packages(theirs.__path__, theirs.__name__ + "."):
        their_names |= {n for n in dir(importlib.import_module(info.name)) if n.endswith("Assignor")}
    assert "RangePartitionAssignor" in their_names  # the walk found kafka-python's own classes
    our_classes = {n for n, v in vars(ours).items() if isinstance(v, type)
                   and issubclass(v, KafkaPythonAssignor) and v is not KafkaPythonAssignor}
    assert len(our_classes) == 5
    assert not our_classes & their_names
