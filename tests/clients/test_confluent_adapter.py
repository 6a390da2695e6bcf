"""The confluent-kafka router offline: keyed routing, errors, delivery-report-driven stickiness."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import confluent_kafka
import pytest

from partitioning import PartitioningError, PartitionView, registry
from partitioning.confluent import JAVA_COMPATIBLE, ConfluentRouter, java_compatible, router
from partitioning.sticky import StickyState
from tests.partitioning.test_hashing import JAVA_MURMUR2, KAFKAJS_MURMUR2


class FakeProducer:
    """``list_topics`` and ``produce`` as confluent-kafka's Producer has them."""

    def __init__(self, partitions: int, leaderless: tuple[int, ...] = ()) -> None:
        parts = {p: SimpleNamespace(leader=-1 if p in leaderless else 1) for p in range(partitions)}
        self.meta = SimpleNamespace(topics={"t": SimpleNamespace(error=None, partitions=parts)})
        self.produced: list[dict[str, Any]] = []
        self.metadata_calls = 0

    def list_topics(self, topic: str, timeout: float) -> Any:
        self.metadata_calls += 1
        return self.meta

    def produce(self, topic: str, value: Any, key: Any, partition: int, **kwargs: Any) -> None:
        self.produced.append({"topic": topic, "value": value, "key": key, "partition": partition, **kwargs})

    def deliver(self, i: int, err: Any = None) -> None:
        record = self.produced[i]
        record["on_delivery"](err, SimpleNamespace(partition=lambda: record["partition"]))


def test_java_compatible_config_sets_murmur2_random_and_refuses_a_conflict() -> None:
    assert java_compatible({"bootstrap.servers": "x"}) == {"bootstrap.servers": "x", **JAVA_COMPATIBLE}
    assert JAVA_COMPATIBLE == {"partitioner": "murmur2_random"}
    with pytest.raises(ValueError, match="consistent_random"):
        java_compatible({"partitioner": "consistent_random"})


@pytest.mark.parametrize("name", ["murmur2", "murmur2_random"])
def test_keyed_records_follow_the_java_vectors_and_confluents_own_helper(name: str) -> None:
    producer = FakeProducer(7)
    r = router(producer, name)
    for key, signed in JAVA_MURMUR2 + KAFKAJS_MURMUR2:
        assert r.produce("t", b"v", key) == (signed & 0x7FFFFFFF) % 7 == confluent_kafka.murmur2(key, 7)
    assert r.produce("t", b"v", "21") == (-973932308 & 0x7FFFFFFF) % 7  # a str key goes as UTF-8
    assert producer.produced[-1]["key"] == b"21"
    assert producer.metadata_calls == 1  # cached


def test_consistent_and_fnv1a_match_confluents_helpers() -> None:
    producer = FakeProducer(6)
    keys = [b"k%d" % i for i in range(500)]
    consistent, fnv = router(producer, "consistent"), router(producer, "fnv1a")
    expected = [confluent_kafka.consistent(k, 6) for k in keys]
    assert [consistent.produce("t", None, k) for k in keys] == expected
    assert [fnv.produce("t", None, k) for k in keys] == [confluent_kafka.fnv1a(k, 6) for k in keys]


def test_bad_input_is_one_clear_error() -> None:
    r = router(FakeProducer(3), "murmur2")
    with pytest.raises(PartitioningError, match="key_serializer"):
        r.produce("t", b"v", 42)
    with pytest.raises(PartitioningError, match="'nope' has no partitions"):
        r.produce("nope", b"v", b"k")
    with pytest.raises(TypeError, match="partition"):
        ConfluentRouter(FakeProducer(3), object())


def test_field_routing_reads_the_unserialized_value() -> None:
    producer = FakeProducer(6)
    r = ConfluentRouter(producer, registry.create("field", field="id"),
                        value_serializer=lambda v: repr(v).encode())
    assert r.produce("t", {"id": "21"}) == (-973932308 & 0x7FFFFFFF) % 6
    assert producer.produced[-1]["value"] == b"{'id': '21'}"


SIX = PartitionView("t", range(6), range(6))  # what the router sees of FakeProducer(6)


def draws(seed: int, count: int = 3) -> list[int]:
    """The first ``count`` random picks of a sticky state seeded ``seed`` (a stint of one record
    per pick), so a test knows where each new stint goes without reaching into the router."""
    picks = StickyState(batch_size=1, seed=seed)
    return [picks.partition(2, SIX) for _ in range(count)]


# a seed whose first three picks each differ from the one before, so every move is visible
SEED = next(seed for seed in range(100) if (lambda a, b, c: a != b != c)(*draws(seed)))
P0, P1, P2 = draws(SEED)


def test_keyless_sticky_moves_on_at_the_first_delivery_report_after_batch_size() -> None:
    producer = FakeProducer(6)
    r = ConfluentRouter(producer, registry.create("uniform_sticky", batch_size=1000, seed=SEED))
    seen: list[Any] = []
    parts = [r.produce("t", b"x" * 100, on_delivery=lambda err, msg: seen.append(err)) for _ in range(5)]
    producer.deliver(0)  # 500 bytes sent: stays
    parts += [r.produce("t", b"x" * 100) for _ in range(5)]
    assert parts == [P0] * 10
    producer.deliver(1, err="broker down")  # a failed delivery moves nothing
    assert r.produce("t", b"x" * 100) == P0
    producer.deliver(2)  # 1100 bytes went to the first partition and a batch left: move on
    assert r.produce("t", b"x" * 100) == P1
    assert seen == [None, "broker down", None]  # the user's callback still runs


def test_keyless_sticky_without_delivery_reports_moves_at_twice_batch_size() -> None:
    producer = FakeProducer(6)
    r = ConfluentRouter(producer, registry.create("uniform_sticky", batch_size=1000, seed=SEED))
    parts = [r.produce("t", b"x" * 100) for _ in range(41)]
    assert parts == [P0] * 20 + [P1] * 20 + [P2]


def test_keyless_records_avoid_leaderless_partitions() -> None:
    r = router(FakeProducer(6, leaderless=(0, 1, 2, 3, 4)), "uniform_sticky", batch_size=100)
    assert {r.produce("t", b"x" * 60) for _ in range(50)} == {5}


def test_uniform_sticky_keyed_records_also_move_on_delivery_reports() -> None:
    producer = FakeProducer(6)
    r = ConfluentRouter(producer, registry.create("uniform_sticky", batch_size=1000, seed=SEED))
    parts = [r.produce("t", b"x" * 100, key=b"k%d" % i) for i in range(11)]
    producer.deliver(10)
    assert parts == [P0] * 11 and r.produce("t", b"x" * 100, key=b"k") == P1


def test_metadata_is_refreshed_after_its_max_age() -> None:
    producer = FakeProducer(3)
    r = ConfluentRouter(producer, "murmur2", metadata_max_age_s=0.0)
    r.produce("t", b"v", b"a")
    producer.meta.topics["t"].partitions[3] = SimpleNamespace(leader=1)  # the topic grew
    key, signed = JAVA_MURMUR2[0]
    assert r.produce("t", b"v", key) == (signed & 0x7FFFFFFF) % 4
    assert producer.metadata_calls == 2
