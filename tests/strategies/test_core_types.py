"""Core value types: validation with clear errors, ordering, interop with kafka-python tuples."""

from __future__ import annotations

import pytest

from strategies import ClusterMetadata, GroupAssignment, MemberSubscription, TopicPartition


def test_topic_partition_orders_by_topic_then_number_and_prints_like_kafka() -> None:
    assert sorted([TopicPartition("b", 0), TopicPartition("a", 10), TopicPartition("a", 2)]) == [
        TopicPartition("a", 2), TopicPartition("a", 10), TopicPartition("b", 0)]
    assert str(TopicPartition("t", 3)) == "t-3"


def test_topic_partition_equals_kafka_python_struct() -> None:
    from kafka.structs import TopicPartition as KafkaTP

    assert TopicPartition("t", 1) == KafkaTP("t", 1)
    assert hash(TopicPartition("t", 1)) == hash(KafkaTP("t", 1))


def test_member_subscription_rejects_a_bare_topic_string() -> None:
    with pytest.raises(TypeError, match="topics"):
        MemberSubscription("m", "orders")  # type: ignore[arg-type]


def test_member_subscription_normalises_owned_partitions() -> None:
    m = MemberSubscription("m", ["t"], owned_partitions=[("t", 1)])  # type: ignore[list-item]
    assert m.owned_partitions == (TopicPartition("t", 1),)
    assert isinstance(m.owned_partitions[0], TopicPartition)
    assert m.topics == frozenset({"t"})


def test_core_metadata_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="'t'"):
        ClusterMetadata({"t": -1})


def test_group_assignment_sorts_each_member() -> None:
    a = GroupAssignment.of({"m": [TopicPartition("t", 2), TopicPartition("t", 0)]})
    assert a.owned["m"] == (TopicPartition("t", 0), TopicPartition("t", 2))
    assert a.owner_of() == {TopicPartition("t", 0): "m", TopicPartition("t", 2): "m"}
    assert a.counts() == {"m": 2}


def test_core_and_strategies_do_not_import_kafka_python() -> None:
    import subprocess
    import sys

    code = ("import sys, strategies, strategies.metrics, strategies.codec; "
            "print(sorted(m for m in sys.modules if m == 'kafka' or m.startswith('kafka.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
