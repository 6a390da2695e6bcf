"""One member's garbage subscription must not fail the whole group's rebalance.

The leader runs kafka-python's own ``ConsumerCoordinator._perform_assignment`` (which decodes
every member's subscription before any assignor runs) on a stand-in coordinator, with the
guard :func:`strategies.kafka_python.attach` installs. Whatever bytes one member sends --
truncated, random, a wrong version, claims of millions of topics or partitions, garbage user
data or owned partitions -- the leader logs a warning naming that member and returns a valid
assignment for every assignor, quickly.
"""

from __future__ import annotations

import logging
import struct
import time
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kafka.coordinator.consumer import ConsumerCoordinator
from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription
from kafka.util import ensure_valid_topic_name

import strategies
from kpart.compat import kafka_python as compat
from strategies.codec import UserDataError, decode_generation, decode_sticky
from strategies.kafka_python import KafkaPythonAssignor, sanitize_subscription

Sub = ConsumerProtocolSubscription
COUNTS = {"t": 6, "u": 3}


@dataclass
class Member:
    member_id: str
    metadata: Any
    group_instance_id: str | None = None


class Cluster:
    def partitions_for_topic(self, topic: str) -> set[int] | None:
        n = COUNTS.get(topic)
        return None if n is None else set(range(n))

    def brokers(self) -> list[Any]:
        return []

    def set_topics(self, topics: Any) -> None:
        for topic in topics:  # as kafka-python's ClusterMetadata.set_topics does
            ensure_valid_topic_name(topic)

    def request_update(self) -> None:
        pass


class SubscriptionState:
    def group_subscribe(self, topics: Any) -> None:
        self.topics = set(topics)

    def group_subscription(self) -> set[str]:
        return self.topics


class Leader:
    """What kafka-python's real ``_perform_assignment`` touches on its coordinator."""

    _perform_assignment = ConsumerCoordinator._perform_assignment
    _lookup_assignor = ConsumerCoordinator._lookup_assignor
    group_id = "g"

    def __init__(self, name: str) -> None:
        assignor = KafkaPythonAssignor(name)
        self._assignors = {assignor.name: assignor}
        self._subscription = SubscriptionState()
        self._cluster = Cluster()
        self._metadata_snapshot: dict[str, set[int]] = {}
        self._is_leader = False
        self._assignment_snapshot = None


def good(topics: list[str], **kw: Any) -> bytes:
    kw.setdefault("user_data", None)
    return Sub(version=3, topics=topics, **kw).encode()


def lead(name: str, members: list[Member], guarded: bool = True) -> dict[str, list[tuple[str, int]]]:
    leader = Leader(name)
    if guarded:
        compat.decode_members_safely(leader, sanitize_subscription)
    out = leader._perform_assignment("a", name, members)
    return {m: sorted((tp.topic, tp.partition) for tp in a.partitions()) for m, a in out.items()}


def assert_valid(result: dict[str, list[tuple[str, int]]], members: list[Member]) -> None:
    assert set(result) <= {m.member_id for m in members}
    everything = [tp for tps in result.values() for tp in tps]
    assert len(everything) == len(set(everything)), "a partition was given to two members"
    assert all(t in COUNTS and 0 <= p < COUNTS[t] for t, p in everything)


NAMES = strategies.names()
TRUNCATED = good(["t"], user_data=b"abc", generation_id=3)[:9]
MILLIONS_OF_TOPICS = struct.pack(">hi", 0, 5_000_000)
T = struct.pack(">h", 1) + b"t"
MILLIONS_OF_OWNED = (struct.pack(">hi", 1, 1) + T + struct.pack(">i", -1)  # v1: topics ["t"], no user data
                     + struct.pack(">i", 1) + T + struct.pack(">i", 3_000_000))  # owns 3 M partitions of t
WRONG_VERSION = struct.pack(">h", 99) + good(["t"])[2:]


def test_without_the_guard_one_bad_member_fails_the_whole_rebalance() -> None:
    members = [Member("a", good(["t"])), Member("bad", TRUNCATED)]
    with pytest.raises(struct.error):
        lead("range", members, guarded=False)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("raw", [b"", TRUNCATED, MILLIONS_OF_TOPICS, MILLIONS_OF_OWNED, b"\xff" * 64,
                                 good(["t", "no such/topic!"]), good(["x" * 300])],
                         ids=["empty", "truncated", "millions-of-topics", "millions-of-owned", "ff",
                              "invalid-topic-name", "topic-name-too-long"])
def test_undecodable_subscription_is_named_and_the_group_is_assigned(
    name: str, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    members = [Member("a", good(["t", "u"])), Member("bad-member", raw), Member("c", good(["t"]))]
    started = time.monotonic()
    with caplog.at_level(logging.WARNING):
        result = lead(name, members)
    assert time.monotonic() - started < 5
    assert "'bad-member'" in caplog.text and "cannot be decoded" in caplog.text
    assert result.get("bad-member", []) == []
    assert_valid(result, members)
    every = {(t, p) for t, n in COUNTS.items() for p in range(n)}
    assert {tp for m in ("a", "c") for tp in result[m]} == every


@pytest.mark.parametrize("name", NAMES)
def test_a_wrong_subscription_version_is_read_as_the_newest_known(name: str) -> None:
    members = [Member("a", good(["t"])), Member("b", WRONG_VERSION)]
    result = lead(name, members)
    assert_valid(result, members)
    assert sorted(result["a"] + result["b"]) == [("t", p) for p in range(6)]


@pytest.mark.parametrize("name", NAMES)
def test_user_data_claiming_millions_of_partitions_is_ignored_quickly(name: str) -> None:
    claim = struct.pack(">i", 1) + T + struct.pack(">i", 5_000_000) + struct.pack(">i", 0) * 4
    members = [Member("a", good(["t"], user_data=claim, generation_id=4)), Member("b", good(["t"]))]
    started = time.monotonic()
    result = lead(name, members)
    assert time.monotonic() - started < 5
    assert sorted(result["a"] + result["b"]) == [("t", p) for p in range(6)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), raw=st.binary(max_size=200), user_data=st.binary(max_size=80),
       owned=st.lists(st.tuples(st.sampled_from(["t", "u", "ghost"]),
                                st.lists(st.integers(-2**31, 2**31 - 1), max_size=8)), max_size=4),
       generation=st.integers(-2**31, 2**31 - 1))
def test_any_bytes_from_one_member_leave_a_valid_assignment(
    name: str, raw: bytes, user_data: bytes, owned: list[tuple[str, list[int]]], generation: int
) -> None:
    odd = good(["t", "u"], user_data=user_data, generation_id=generation,
               owned_partitions=[Sub.TopicPartition(topic=t, partitions=ps) for t, ps in owned])
    members = [Member("a", good(["t"])), Member("random", raw), Member("odd", odd),
               Member("d", good(["u", "t"]))]
    started = time.monotonic()
    result = lead(name, members)
    assert time.monotonic() - started < 5
    assert_valid(result, members)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_user_data_decoders_raise_only_their_own_error(data: bytes) -> None:
    for decode in (decode_sticky, decode_generation):
        try:
            decode(data)
        except UserDataError:
            pass
