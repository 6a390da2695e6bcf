"""Rack-aware range (KIP-881): Java's co-partitioning first, then rack matching.

The fixed cases are the expected assignments of Java's own ``RangeAssignorTest`` (kafka-clients
4.x), rebuilt with the same replica layout: partition ``i`` of the ``k``-th topic has its
replicas on brokers ``i + k_offset .. + replication - 1`` (mod the broker count), broker ``b`` on
rack ``"abcdef"[b]``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strategies import ClusterMetadata, MemberSubscription, RangeAssignor, TopicPartition
from tests.strategies.invariants import assert_valid

RACKS = "abcdef"


def java_layout(counts: dict[str, int], replication: int, broker_racks: list[str | None]
                ) -> ClusterMetadata:
    """Java's ``partitionsPerTopic`` test layout, topics taken in the given order."""
    racks: dict[TopicPartition, frozenset[str]] = {}
    offset = 0
    for topic, n in counts.items():
        for p in range(n):
            brokers = [(p + j + offset) % len(broker_racks) for j in range(replication)]
            racks[TopicPartition(topic, p)] = frozenset(
                r for b in brokers if (r := broker_racks[b]) is not None)
        offset += n
    return ClusterMetadata(counts, racks)


def run(counts: dict[str, int], replication: int, broker_racks: int, consumer_racks: list[str | None],
        topics: list[list[str]]) -> list[str]:
    meta = java_layout(counts, replication, list(RACKS[:broker_racks]))
    group = {f"consumer{i}": MemberSubscription(f"consumer{i}", set(ts), rack=consumer_racks[i])
             for i, ts in enumerate(topics)}
    a = RangeAssignor().assign(group, meta)
    assert_valid(group, meta, a)
    return [", ".join(sorted(str(tp) for tp in a.owned[f"consumer{i}"]))
            for i in range(len(topics))]


ALL3 = ["t1", "t2", "t3"]
FIVE = {"t1": 5, "t2": 5, "t3": 5}
COPART = {"t1": 6, "t2": 6, "t3": 2, "t4": 2}
PAIRS = [["t1", "t2"], ["t1", "t2"], ["t3", "t4"], ["t3", "t4"]]
ALL4 = [["t1", "t2", "t3", "t4"]] * 4
BA_RACKS: list[str | None] = ["a", "b", "b", "a"]

JAVA_CASES = [
    # testRackAwareAssignmentWithUniformPartitions: co-partitioning wins over racks.
    (FIVE, 1, 3, ["a", "b", "c"], [ALL3] * 3,
     ["t1-0, t1-1, t2-0, t2-1, t3-0, t3-1", "t1-2, t1-3, t2-2, t2-3, t3-2, t3-3",
      "t1-4, t2-4, t3-4"]),
    # testRackAwareAssignmentWithUniformPartitionsNonEqualSubscription
    (FIVE, 1, 3, ["a", "b", "c"], [ALL3, ALL3, ["t1", "t3"]],
     ["t1-0, t1-1, t2-0, t2-1, t2-4, t3-0, t3-1", "t1-2, t1-3, t2-2, t2-3, t3-2, t3-3",
      "t1-4, t3-4"]),
    (FIVE, 2, 3, ["a", "b", "c"], [ALL3, ALL3, ["t1", "t3"]],
     ["t1-2, t2-0, t2-1, t2-3, t3-2", "t1-0, t1-3, t2-2, t2-4, t3-0, t3-3",
      "t1-1, t1-4, t3-1, t3-4"]),
    (FIVE, 3, 2, ["a", "b", "c"], [ALL3, ALL3, ["t1", "t3"]],
     ["t1-0, t1-1, t2-0, t2-1, t2-2, t3-0, t3-1", "t1-2, t1-3, t2-3, t2-4, t3-2, t3-3",
      "t1-4, t3-4"]),
    # testRackAwareAssignmentWithCoPartitioning
    (COPART, 1, 2, BA_RACKS, PAIRS,
     ["t1-0, t1-2, t1-4, t2-0, t2-2, t2-4", "t1-1, t1-3, t1-5, t2-1, t2-3, t2-5",
      "t3-1, t4-1", "t3-0, t4-0"]),
    (COPART, 2, 2, BA_RACKS, PAIRS,
     ["t1-0, t1-1, t1-2, t2-0, t2-1, t2-2", "t1-3, t1-4, t1-5, t2-3, t2-4, t2-5",
      "t3-0, t4-0", "t3-1, t4-1"]),
    (COPART, 1, 2, BA_RACKS, ALL4,
     ["t1-0, t1-2, t2-0, t2-2, t3-0, t4-0", "t1-1, t1-3, t2-1, t2-3, t3-1, t4-1",
      "t1-5, t2-5", "t1-4, t2-4"]),
    (COPART, 1, 3, BA_RACKS, ALL4,
     ["t1-0, t1-3, t2-0, t2-3, t3-0, t4-0", "t1-1, t1-4, t2-1, t2-4, t3-1, t4-1",
      "t1-2, t2-2", "t1-5, t2-5"]),
]


@pytest.mark.parametrize(("counts", "replication", "broker_racks", "consumer_racks", "topics",
                          "expected"), JAVA_CASES)
def test_matches_the_expectations_of_javas_range_assignor_tests(
        counts, replication, broker_racks, consumer_racks, topics, expected) -> None:
    assert run(counts, replication, broker_racks, consumer_racks, topics) == expected


def test_co_partitioning_is_kept_when_replicas_sit_on_opposite_racks() -> None:
    racks = {TopicPartition("t1", 0): frozenset({"r2"}), TopicPartition("t1", 1): frozenset({"r1"}),
             TopicPartition("t2", 0): frozenset({"r1"}), TopicPartition("t2", 1): frozenset({"r2"})}
    meta = ClusterMetadata({"t1": 2, "t2": 2}, racks)
    group = {"a": MemberSubscription("a", {"t1", "t2"}, rack="r1"),
             "b": MemberSubscription("b", {"t1", "t2"}, rack="r2")}
    a = RangeAssignor().assign(group, meta)
    assert a.owned["a"] == (TopicPartition("t1", 0), TopicPartition("t2", 0))
    assert a.owned["b"] == (TopicPartition("t1", 1), TopicPartition("t2", 1))


TOPICS = ["t", "u", "v", "w"]
RACK_NAMES = ["r0", "r1", "r2"]


@st.composite
def racked_groups(draw: st.DrawFn) -> tuple[dict[str, MemberSubscription], ClusterMetadata]:
    counts = draw(st.fixed_dictionaries({t: st.integers(1, 7) for t in TOPICS}))
    with_racks = draw(st.booleans())
    racks = {TopicPartition(t, p): frozenset(draw(st.sets(st.sampled_from(RACK_NAMES),
                                                         max_size=2)))
             for t, n in counts.items() for p in range(n)} if with_racks else {}
    n = draw(st.integers(1, 6))
    subs = draw(st.lists(st.sets(st.sampled_from(TOPICS), min_size=1), min_size=1, max_size=2))
    group = {f"m{i}": MemberSubscription(
        f"m{i}", draw(st.sampled_from(subs)),
        rack=draw(st.sampled_from([*RACK_NAMES, None])) if with_racks else None,
        group_instance_id=draw(st.sampled_from([None, f"i{i}"]))) for i in range(n)}
    return group, ClusterMetadata(counts, racks)


@settings(max_examples=200, deadline=None)
@given(racked_groups())
def test_co_partitioned_topics_put_partition_i_on_one_member(case) -> None:
    group, meta = case
    a = RangeAssignor().assign(group, meta)
    assert_valid(group, meta, a)
    owner = a.owner_of()
    subscribers = {t: frozenset(m for m, s in group.items() if t in s.topics) for t in TOPICS}
    for t in TOPICS:
        for u in TOPICS:
            if t < u and subscribers[t] and subscribers[t] == subscribers[u] \
                    and meta.partition_counts[t] == meta.partition_counts[u]:
                for p in range(meta.partition_counts[t]):
                    assert owner[TopicPartition(t, p)] == owner[TopicPartition(u, p)], (t, u, p)


@settings(max_examples=200, deadline=None)
@given(racked_groups())
def test_every_topic_stays_range_balanced(case) -> None:
    group, meta = case
    a = RangeAssignor().assign(group, meta)
    for t, n in meta.partition_counts.items():
        subs = [m for m, s in group.items() if t in s.topics]
        if not subs:
            continue
        per, extra = divmod(n, len(subs))
        got = sorted(sum(1 for tp in a.owned[m] if tp.topic == t) for m in subs)
        assert got == [per] * (len(subs) - extra) + [per + 1] * extra, (t, got)


def test_a_member_may_take_the_extra_partition_its_rack_holds() -> None:
    racks = {TopicPartition("t", 0): frozenset({"r2"}), TopicPartition("t", 1): frozenset({"r2"}),
             TopicPartition("t", 2): frozenset({"r1", "r2"})}
    group = {"a": MemberSubscription("a", {"t"}, rack="r1"),
             "b": MemberSubscription("b", {"t"}, rack="r2")}
    a = RangeAssignor().assign(group, ClusterMetadata({"t": 3}, racks))
    assert a.owned["a"] == (TopicPartition("t", 2),)
    assert a.owned["b"] == (TopicPartition("t", 0), TopicPartition("t", 1))
