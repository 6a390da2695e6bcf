"""Optional partitioner capabilities are typed protocols, found the same way by every adapter."""

from __future__ import annotations

from typing import Any

import pytest

import partitioning
from partitioning import PartitioningError, PartitionView, registry
from partitioning.aiokafka import AiokafkaRouter
from partitioning.confluent import ConfluentRouter
from partitioning.core import NewBatchAware, RecordPartitioner, routed
from tests.partitioning.fakes import FakeCluster
from tests.partitioning.names import PARTITIONER_NAMES

NEW_BATCH_AWARE = {"murmur2", "uniform_sticky", "murmur3", "jump", "round_robin"}


@pytest.mark.parametrize("name", sorted(PARTITIONER_NAMES))
def test_the_built_ins_have_exactly_the_capabilities_they_document(name: str) -> None:
    core = registry.create(name, **({"field": "id"} if name == "field" else {}))
    assert isinstance(core, NewBatchAware) == (name in NEW_BATCH_AWARE)
    assert isinstance(core, RecordPartitioner) == (name == "field")


class ByRecord:
    """Routes keyed bytes to 0 and the unserialized record to its ``"p"`` field."""

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        return 0

    def partition_record(self, record_key: Any, record_value: Any, key: bytes | None,
                         value: bytes | None, view: PartitionView) -> int:
        return int(record_value["p"])


class FakeConfluentProducer:
    def list_topics(self, topic: str, timeout: float) -> Any:
        from types import SimpleNamespace

        parts = {p: SimpleNamespace(leader=1) for p in range(4)}
        return SimpleNamespace(topics={topic: SimpleNamespace(error=None, partitions=parts)})


def test_every_adapter_that_has_the_record_routes_by_it() -> None:
    record = {"p": 3}
    kafka_python = partitioning.kafka_python.adapt(ByRecord())
    assert kafka_python.partition("t", b"k", b"k", record, b"{}", FakeCluster({"t": 4})) == 3
    aiokafka = AiokafkaRouter(ByRecord(), value_serializer=lambda v: b"{}")
    assert aiokafka.route(PartitionView("t", range(4)), b"k", record)[0] == 3
    confluent = ConfluentRouter(FakeConfluentProducer(), ByRecord(), value_serializer=lambda v: b"{}")
    assert confluent.route("t", b"k", record)[0] == 3


def test_the_aiokafka_partitioner_refuses_what_needs_the_record() -> None:
    with pytest.raises(TypeError, match="unserialized record"):
        partitioning.aiokafka.adapt(ByRecord())


class Returns:
    def __init__(self, p: object) -> None:
        self.p = p

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        return self.p  # type: ignore[return-value]


@pytest.mark.parametrize("bad", [1, 5, -1, True, 2.0, "2", None])
def test_routed_refuses_an_answer_outside_the_view_even_between_its_partitions(bad: object) -> None:
    view = PartitionView("t", (0, 2, 4))
    with pytest.raises(PartitioningError, match=rf"Returns returned {bad!r}, not a partition of 't'"):
        routed(Returns(bad), False, view, None, None, b"k", None)


@pytest.mark.parametrize("good", [0, 2, 4])
def test_routed_returns_an_answer_in_the_view(good: int) -> None:
    assert routed(Returns(good), False, PartitionView("t", (0, 2, 4)), None, None, b"k", None) == good


def test_the_kafka_python_view_checks_membership_against_the_cluster_partitions() -> None:
    adapted = partitioning.kafka_python.adapt(Returns(7))
    with pytest.raises(PartitioningError, match="returned 7"):
        adapted.partition("t", b"k", b"k", None, None, FakeCluster({"t": 7}))
    assert partitioning.kafka_python.adapt(Returns(6)).partition(
        "t", b"k", b"k", None, None, FakeCluster({"t": 7})) == 6
