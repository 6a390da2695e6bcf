"""Registry names, entry points, and the kafka-python adapter contract."""

from __future__ import annotations

import threading
from importlib.metadata import EntryPoint

import pytest
from kafka.partitioner.abc import Partitioner as KafkaPartitioner

import partitioning
from kpart.compat.kafka_python import KafkaPythonCompatError
from partitioning import PartitioningError, PartitionView, registry
from partitioning.kafka_python import KafkaPythonPartitioner, accumulator_load
from tests.partitioning.fakes import FakeCluster
from tests.partitioning.names import PARTITIONER_NAMES

OPTIONS = {"field": {"field": "id"}}
STICKY_NAMES = {"murmur2", "uniform_sticky", "murmur3", "jump", "round_robin"}


def test_every_required_name_is_registered() -> None:
    assert PARTITIONER_NAMES <= set(partitioning.names())


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown partitioner 'murmur4'") as info:
        partitioning.kafka_python.create("murmur4")
    for name in PARTITIONER_NAMES:
        assert name in str(info.value)


def test_bad_option_names_the_partitioner() -> None:
    with pytest.raises(TypeError, match="'murmur2'"):
        partitioning.kafka_python.create("murmur2", no_such_option=1)


@pytest.mark.parametrize("name", sorted(PARTITIONER_NAMES))
def test_every_partitioner_is_a_kafka_python_partitioner(name: str) -> None:
    p = partitioning.kafka_python.create(name, **OPTIONS.get(name, {}))
    assert isinstance(p, KafkaPartitioner)
    assert (getattr(p, "on_new_batch", None) is not None) == (name in STICKY_NAMES)
    cluster = FakeCluster({"t": 6})
    for key in (b"k1", b"", None):
        value = b'{"id": 1}'
        got = p.partition("t", key, key, {"id": 1}, value, cluster)
        assert got in range(6)


def test_adapter_reports_unknown_topic() -> None:
    p = partitioning.kafka_python.create("murmur2")
    with pytest.raises(PartitioningError, match="'missing' not found"):
        p.partition("missing", b"k", b"k", None, b"v", FakeCluster({"t": 3}))


def test_adapter_reports_topic_without_partitions() -> None:
    p = partitioning.kafka_python.create("murmur2")
    with pytest.raises(PartitioningError, match="no partitions"):
        p.partition("t", b"k", b"k", None, b"v", FakeCluster({"t": 0}))


def test_adapter_rejects_non_bytes_serialized_key() -> None:
    p = partitioning.kafka_python.create("murmur2")
    with pytest.raises(PartitioningError, match="key_serializer"):
        p.partition("t", "k", "k", None, b"v", FakeCluster({"t": 3}))


def test_adapter_rejects_out_of_range_answer_from_a_custom_core() -> None:
    class Broken:
        def partition(self, key, value, view):
            return view.count  # one past the last partition

    p = partitioning.adapt(Broken())
    with pytest.raises(PartitioningError, match="returned 3"):
        p.partition("t", b"k", b"k", None, b"v", FakeCluster({"t": 3}))


def test_adapt_rejects_objects_without_partition() -> None:
    with pytest.raises(TypeError, match="partition"):
        partitioning.adapt(object())


def test_adapt_passes_kafka_partitioners_through() -> None:
    from kafka.partitioner import DefaultPartitioner

    d = DefaultPartitioner()
    assert partitioning.adapt(d) is d


def test_runtime_registration_and_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    class Always0:
        def partition(self, key, value, view):
            return view.all[0]

    monkeypatch.setattr(registry._REGISTRY, "_runtime", {})
    partitioning.register("always0", Always0)
    assert "always0" in partitioning.names()
    adapted = partitioning.kafka_python.create("always0")
    assert adapted.partition("t", b"k", b"k", None, None, FakeCluster({"t": 4})) == 0
    with pytest.raises(ValueError, match="built-in"):
        partitioning.register("murmur2", Always0)

    ep = EntryPoint(
        name="third_party_rr",
        value="partitioning.round_robin:RoundRobinPartitioner",
        group=registry.ENTRY_POINT_GROUP,
    )
    monkeypatch.setattr(registry._REGISTRY, "_entry_points", {ep.name: ep})
    assert "third_party_rr" in partitioning.names()
    core = partitioning.registry.create("third_party_rr")
    assert type(core).__name__ == "RoundRobinPartitioner"


def test_load_view_is_read_from_the_producer_accumulator() -> None:
    from collections import deque

    from kafka.structs import TopicPartition

    class Acc:
        _batches = {
            TopicPartition("t", 0): deque([1, 2, 3]),
            TopicPartition("t", 1): deque(),
            TopicPartition("u", 0): deque([1]),
        }

    class Producer:
        _accumulator = Acc()

    assert accumulator_load(Producer())("t") == {0: 3, 1: 0}
    with pytest.raises(KafkaPythonCompatError, match="the producer .object. has no _accumulator"):
        accumulator_load(object())  # fails at attach time, not as a silent uniform fallback

    seen: list[dict | None] = []

    class Spy:
        def partition(self, key, value, view: PartitionView):
            seen.append(view.load)
            return 0

    KafkaPythonPartitioner(Spy()).attach(Producer()).partition(
        "t", None, None, None, b"v", FakeCluster({"t": 2})
    )
    assert seen == [{0: 3, 1: 0}]


def test_adapter_is_thread_safe_under_concurrent_sends() -> None:
    p = partitioning.kafka_python.create("round_robin")
    cluster = FakeCluster({"t": 5})
    counts = [0] * 5
    lock = threading.Lock()

    def worker() -> None:
        local = [0] * 5
        for _ in range(2000):
            local[p.partition("t", None, None, None, b"v", cluster)] += 1
        with lock:
            for i, c in enumerate(local):
                counts[i] += c

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == [1600] * 5


def test_partition_count_change_mid_stream_follows_the_new_count() -> None:
    # Java semantics: the keyed mapping uses the partition count known when the record is sent.
    from kafka.partitioner.default import murmur2

    p = partitioning.kafka_python.create("murmur2")
    cluster = FakeCluster({"t": 3})
    keys = [f"k{i}".encode() for i in range(200)]
    assert [p.partition("t", k, k, None, None, cluster) for k in keys] == [
        (murmur2(k) & 0x7FFFFFFF) % 3 for k in keys
    ]
    cluster.topics_["t"] = 8
    assert [p.partition("t", k, k, None, None, cluster) for k in keys] == [
        (murmur2(k) & 0x7FFFFFFF) % 8 for k in keys
    ]
    sticky = partitioning.kafka_python.create("uniform_sticky")
    assert sticky.partition("t", None, None, None, b"v", cluster) in range(8)
    cluster.topics_["t"] = 2
    assert sticky.partition("t", None, None, None, b"v", cluster) in range(2)


@pytest.mark.parametrize(("old", "points_to"), [
    ("create", "partitioning.kafka_python.create"),
    ("create_core", "partitioning.registry.create"),
])
def test_a_retired_name_says_which_name_now_means_what(old: str, points_to: str) -> None:
    with pytest.raises(AttributeError, match=rf"no attribute '{old}': .*{points_to}\(name\)"):
        getattr(partitioning, old)


def test_the_client_module_builds_the_adapter_and_the_registry_the_core() -> None:
    assert isinstance(partitioning.kafka_python.create("murmur2"), KafkaPythonPartitioner)
    core = partitioning.registry.create("murmur2")
    assert not isinstance(core, KafkaPythonPartitioner) and callable(core.partition)
