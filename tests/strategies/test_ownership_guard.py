"""OwnershipGuard and the session deadline, on an attached consumer with no broker: each
guarantee of the docstrings attacked by putting the consumer's coordinator in the state a
paused, expelled or rebalancing member is in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from kafka import ConsumerRebalanceListener, KafkaConsumer
from kafka.coordinator.base import Generation
from kafka.structs import MemberState
from kafka.structs import TopicPartition as KTP

from kpart.compat import kafka_python as compat
from strategies.kafka_python import KpartRangeAssignor, NotAttachedError, OwnershipGuard, attach

SESSION_MS = 10_000
T0, T1, T2 = KTP("t", 0), KTP("t", 1), KTP("t", 2)


class Lost(ConsumerRebalanceListener):
    def __init__(self) -> None:
        self.calls: list[tuple[set[KTP], float | None]] = []
        self.guard: OwnershipGuard | None = None

    def on_partitions_revoked(self, revoked: Any) -> None:
        pass

    def on_partitions_assigned(self, assigned: Any) -> None:
        pass

    def on_partitions_lost(self, lost: Any) -> None:
        assert self.guard is not None
        self.calls.append((set(lost), self.guard.lapsed_at))


@pytest.fixture
def member() -> Iterator[tuple[Any, OwnershipGuard, Lost]]:
    """An attached consumer that believes it is in generation 5 owning t-0 and t-1, its session
    confirmed just now."""
    consumer = attach(KafkaConsumer(bootstrap_servers="127.0.0.1:1", group_id="g", api_version=(3, 9),
                                    session_timeout_ms=SESSION_MS,
                                    partition_assignment_strategy=[KpartRangeAssignor]))
    listener = Lost()
    consumer.subscribe(["t"], listener=listener)
    coordinator = consumer._coordinator
    coordinator._generation = Generation(5, "member-1", "range")
    coordinator.state = MemberState.STABLE
    coordinator._subscription.assign_from_subscribed([T0, T1])
    coordinator._kpart_session.kept_at = time.monotonic()
    guard = OwnershipGuard(consumer)
    listener.guard = guard
    try:
        yield coordinator, guard, listener
    finally:
        consumer.close()


def test_a_member_owns_its_assigned_partitions_only(member: tuple[Any, OwnershipGuard, Lost]) -> None:
    _, guard, listener = member
    assert guard.owns(T0) and guard.owns(T1) and not guard.owns(T2)
    assert listener.calls == [] and guard.lapsed_at is None


def test_a_lapsed_session_ends_ownership_at_once_and_names_the_moment(
    member: tuple[Any, OwnershipGuard, Lost]
) -> None:
    coordinator, guard, listener = member
    kept = time.monotonic() - SESSION_MS / 1000 - 1.0  # last confirmed 11 s ago
    coordinator._kpart_session.kept_at = kept
    assert not guard.owns(T0)
    assert listener.calls == [({T0, T1}, pytest.approx(kept + SESSION_MS / 1000))]
    assert coordinator._subscription.assigned_partitions() == set()
    assert coordinator._generation.is_lost()  # it rejoins at the next poll()
    assert not guard.owns(T1) and len(listener.calls) == 1  # lost once
    assert guard.lapsed_at is None  # only inside the callback


def test_records_stop_at_the_first_record_after_the_lapse(member: tuple[Any, OwnershipGuard, Lost]) -> None:
    coordinator, guard, listener = member
    r1, r2, r3 = (SimpleNamespace(partition=p, offset=o) for p, o in ((0, 7), (0, 8), (1, 3)))
    taken = []
    for record in guard.records({T0: [r1, r2], T1: [r3]}):
        taken.append(record)
        coordinator._kpart_session.kept_at = float("-inf")  # paused past the session meanwhile
    assert taken == [r1] and len(listener.calls) == 1


def test_a_generation_kafka_python_already_reset_ends_ownership(
    member: tuple[Any, OwnershipGuard, Lost]
) -> None:
    """The heartbeat thread found the member expelled (or left for a poll timeout) and reset the
    generation, with the partitions still assigned: the session clock has not run out."""
    coordinator, guard, listener = member
    coordinator.reset_generation()
    before = time.monotonic()
    assert not guard.owns(T0)
    [(parts, lapsed)] = listener.calls
    assert parts == {T0, T1} and lapsed is not None and before <= lapsed <= time.monotonic()


def test_a_member_in_a_rebalance_keeps_what_it_holds(member: tuple[Any, OwnershipGuard, Lost]) -> None:
    """During a join (cooperative members keep processing what they keep) heartbeats pause; the
    JoinGroup the member sent holds its place, so the session clock does not apply."""
    coordinator, guard, listener = member
    coordinator.state = MemberState.REBALANCING
    coordinator._kpart_session.kept_at = float("-inf")
    assert guard.owns(T0) and listener.calls == []


def test_the_guard_needs_an_attached_consumer() -> None:
    plain = KafkaConsumer(bootstrap_servers="127.0.0.1:1", group_id="g", api_version=(3, 9),
                          partition_assignment_strategy=[KpartRangeAssignor])
    try:
        with pytest.raises(NotAttachedError, match="OwnershipGuard needs a consumer given to"):
            OwnershipGuard(plain)
    finally:
        plain.close()


class _Answered:
    def __init__(self, response: Any) -> None:
        self.response = response

    def __await__(self) -> Any:
        return self.response
        yield  # a generator: awaitable, finishes at once


def _drive(awaitable: Any) -> Any:
    try:
        awaitable.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("did not finish")


@pytest.mark.parametrize(("request_name", "error_code", "keeps"), [
    ("HeartbeatRequest", 0, True),
    ("HeartbeatRequest", 27, True),  # REBALANCE_IN_PROGRESS: the broker still counts the member
    ("HeartbeatRequest", 25, False),  # UNKNOWN_MEMBER_ID: expelled
    ("JoinGroupRequest", 0, True),
    ("SyncGroupRequest", 0, True),
    ("SyncGroupRequest", 22, False),  # ILLEGAL_GENERATION
    ("OffsetCommitRequest", 0, False),
])
def test_the_session_is_dated_from_the_sending_of_an_answered_membership_request(
    request_name: str, error_code: int, keeps: bool
) -> None:
    response = SimpleNamespace(error_code=error_code)
    manager = SimpleNamespace(send=lambda request, *a, **k: _Answered(response))
    coordinator = SimpleNamespace(_manager=manager, config={"session_timeout_ms": SESSION_MS})
    compat.track_session(coordinator)
    evidence = coordinator._kpart_session
    request = type(request_name, (), {})()
    sent_before = time.monotonic()
    sent = coordinator._manager.send(request)
    time.sleep(0.05)  # the answer arrives later than the request left
    assert _drive(sent.__await__() if isinstance(sent, _Answered) else sent) is response
    if keeps:
        assert sent_before <= evidence.kept_at <= sent_before + 0.04
        assert compat.session_deadline(coordinator) == pytest.approx(evidence.kept_at + SESSION_MS / 1000)
    else:
        assert evidence.kept_at == float("-inf")
