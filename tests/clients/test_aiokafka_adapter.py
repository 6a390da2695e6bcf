"""The aiokafka adapters offline: partition mapping, refusals, subscriptions on the wire, state."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.coordinator.assignors.range import RangePartitionAssignor as AiokafkaRange
from aiokafka.coordinator.protocol import ConsumerProtocol, ConsumerProtocolMemberAssignment
from aiokafka.partitioner import DefaultPartitioner
from kafka.protocol.consumer.metadata import ConsumerProtocolSubscription as KafkaPythonSubscription

import partitioning.aiokafka as adapter
import strategies.aiokafka as assignors
from kpart.compat import aiokafka as compat
from partitioning import PartitioningError, registry
from strategies import ClusterMetadata, MemberSubscription, TopicPartition, get_assignor
from strategies.codec import decode_sticky
from tests.partitioning.test_hashing import JAVA_MURMUR2, KAFKAJS_MURMUR2

VECTORS = JAVA_MURMUR2 + KAFKAJS_MURMUR2


@pytest.mark.parametrize("count", [6, 7])
def test_murmur2_is_java_exact_whatever_order_aiokafka_lists_partitions_in(count: int) -> None:
    partitioner = adapter.create("murmur2")
    rng = random.Random(1)
    for key, signed in VECTORS:
        for _ in range(5):
            listed = rng.sample(range(count), count)
            assert partitioner(key, listed, listed) == (signed & 0x7FFFFFFF) % count, key


def test_aiokafka_default_partitioner_depends_on_list_order_ours_does_not() -> None:
    keys = [b"k%d" % i for i in range(200)]
    orders = list(itertools.islice(itertools.permutations(range(6)), 0, 720, 97))
    theirs = {tuple(DefaultPartitioner()(k, list(o), list(o)) for k in keys) for o in orders}
    ours = {tuple(adapter.create("murmur2")(k, list(o), list(o)) for k in keys) for o in orders}
    assert len(theirs) > 1 and len(ours) == 1


def test_field_and_uniform_sticky_partitioners_are_refused_with_the_way_out() -> None:
    with pytest.raises(TypeError, match="AiokafkaRouter"):
        adapter.create("field", field="user.id")
    with pytest.raises(TypeError, match="AiokafkaRouter"):
        adapter.create("uniform_sticky")  # it routes keyed records by bytes too


def test_byte_sticky_keyless_record_is_refused_not_stuck() -> None:
    with pytest.raises(PartitioningError, match="size"):
        adapter.create("murmur2")(None, [0, 1, 2], [0, 1, 2])
    # keyed records still route, and partitioners that need no sizes take keyless records
    assert adapter.create("murmur2")(b"21", [0, 1, 2], [0, 1, 2]) == (-973932308 & 0x7FFFFFFF) % 3
    assert adapter.create("consistent_random")(None, [0, 1, 2], [2]) == 2


def test_a_partition_outside_the_topic_is_an_error() -> None:
    class Bad:
        def partition(self, key: Any, value: Any, view: Any) -> int:
            return 9

    with pytest.raises(PartitioningError, match="returned 9"):
        adapter.adapt(Bad())(b"k", [0, 1], [0, 1])


class FakeProducer:
    def __init__(self, partitions: int) -> None:
        self.sent: list[tuple[str, Any, Any, int]] = []
        self.client = SimpleNamespace(cluster=SimpleNamespace(
            available_partitions_for_topic=lambda topic: set(range(partitions))))
        self._partitions = partitions

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(self._partitions))

    async def send(self, topic: str, value: Any, key: Any = None, partition: int | None = None) -> str:
        assert partition is not None
        self.sent.append((topic, key, value, partition))
        return "future"


def test_router_routes_by_the_unserialized_field() -> None:
    producer = FakeProducer(6)
    router = adapter.AiokafkaRouter(registry.create("field", field="user.id"),
                                    value_serializer=lambda v: json.dumps(v).encode())

    async def run() -> None:
        for key, signed in VECTORS:
            await router.send(producer, "t", {"user": {"id": key.decode("latin-1")}})
            assert producer.sent[-1][3] == (signed & 0x7FFFFFFF) % 6, key

    asyncio.run(run())
    assert isinstance(producer.sent[0][2], bytes)


def test_router_sticky_switches_within_twice_batch_size() -> None:
    producer = FakeProducer(6)
    router = adapter.AiokafkaRouter(registry.create("uniform_sticky", batch_size=1000, seed=3))

    async def run() -> list[int]:
        for _ in range(600):
            await router.send(producer, "t", b"x" * 100)
        return [s[3] for s in producer.sent]

    order = asyncio.run(run())
    runs = [len(list(g)) for _, g in itertools.groupby(order)]
    assert len(set(order)) == 6
    assert all(r % 20 == 0 for r in runs[:-1]), runs  # 20 records = 2 x batch_size, maybe repeated


# --- assignors -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_leader_decodes_kafka_python_subscriptions_of_every_version(version: int) -> None:
    sent = KafkaPythonSubscription(
        version=version, topics=["a", "b"], user_data=b"\x00\x00\x00\x07",
        owned_partitions=[KafkaPythonSubscription.TopicPartition(topic="a", partitions=[0, 2])],
        generation_id=7, rack_id="rack-1")
    got = compat.FullSubscription.decode(sent.encode(version=version))
    assert (got.version, got.subscription, got.user_data) == (version, ["a", "b"], b"\x00\x00\x00\x07")
    assert got.owned_partitions == ([("a", [0, 2])] if version >= 1 else [])
    assert got.generation_id == (7 if version >= 2 else -1)
    assert got.rack_id == ("rack-1" if version >= 3 else None)


def test_member_metadata_is_a_v3_subscription_other_clients_read(monkeypatch: pytest.MonkeyPatch) -> None:
    assignor = assignors.AiokafkaAssignor("sticky", rack="rack-2")
    consumer, generation = object(), [5]
    # what the consumer's coordinator says, through the compat seam that reads aiokafka's internals
    monkeypatch.setattr(compat, "assignors_of", lambda of: (assignor,) if of is consumer else ())
    monkeypatch.setattr(compat, "generation_of", lambda of: generation[-1] if of is consumer else -1)
    assignor.attach(consumer)
    assignor.on_assignment(ConsumerProtocolMemberAssignment(
        0, [ConsumerProtocolMemberAssignment.Assignment("t", [3, 1])], b""))
    generation.append(6)  # joined generation 6, but its SyncGroup failed: still owns gen 5's
    decoded = KafkaPythonSubscription.decode(assignor.metadata({"t"}))
    got = (decoded.version, decoded.topics, decoded.generation_id, decoded.rack_id)
    assert got == (3, ["t"], 5, "rack-2")
    assert decoded.owned_partitions == []  # EAGER: revoked before joining, as Java
    sticky = decode_sticky(decoded.user_data)  # Java StickyAssignorUserData v1
    assert sticky.partitions == (TopicPartition("t", 1), TopicPartition("t", 3)) and sticky.generation == 5


def test_each_instance_keeps_its_own_state() -> None:
    a, b = assignors.AiokafkaAssignor("sticky"), assignors.AiokafkaAssignor("sticky")
    a.on_assignment(ConsumerProtocolMemberAssignment(0, [("t", [0])], b""))
    b.on_assignment(ConsumerProtocolMemberAssignment(0, [("t", [1])], b""))
    assert decode_sticky(compat.FullSubscription.decode(a.metadata({"t"})).user_data).partitions == (
        TopicPartition("t", 0),)
    assert decode_sticky(compat.FullSubscription.decode(b.metadata({"t"})).user_data).partitions == (
        TopicPartition("t", 1),)


def test_aiokafka_builtin_assignors_still_work_with_the_full_decoder() -> None:
    assignors.AiokafkaAssignor("range")
    assert ConsumerProtocol.METADATA is compat.FullSubscription
    meta = ConsumerProtocol.METADATA.decode(AiokafkaRange.metadata(["t"]).encode())
    cluster = SimpleNamespace(partitions_for_topic=lambda t: {0, 1, 2, 3})
    out = AiokafkaRange.assign(cluster, {"m1": meta, "m2": meta})
    assert sorted(p for a in out.values() for p in a.partitions()) == [("t", p) for p in range(4)]


class FakeCluster:
    def __init__(self, counts: dict[str, int], racks: dict[int, str],
                 replicas: dict[tuple[str, int], list[int]]) -> None:
        self.counts, self.racks, self.replicas = counts, racks, replicas
        self._partitions = {t: {p: SimpleNamespace(replicas=replicas[(t, p)]) for p in range(n)}
                            for t, n in counts.items()}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(range(self.counts[topic])) if topic in self.counts else None

    def brokers(self) -> list[Any]:
        return [SimpleNamespace(nodeId=n, rack=r) for n, r in self.racks.items()]


def test_leader_assigns_rack_aware_with_racks_from_v3_subscriptions() -> None:
    replicas = {("t", p): [p % 3] for p in range(6)}
    cluster = FakeCluster({"t": 6}, {0: "r0", 1: "r1", 2: "r2"}, replicas)
    members = {f"m{i}": compat.FullSubscription.decode(KafkaPythonSubscription(
        version=3, topics=["t"], user_data=b"", owned_partitions=[], generation_id=-1,
        rack_id=f"r{i}").encode(version=3)) for i in range(3)}
    out = assignors.AiokafkaAssignor("range").assign(cluster, members)
    got = {m: sorted(a.partitions()) for m, a in out.items()}
    assert got == {f"m{i}": [("t", i), ("t", i + 3)] for i in range(3)}  # every replica local
    expected = get_assignor("range").assign(
        {f"m{i}": MemberSubscription(f"m{i}", {"t"}, rack=f"r{i}") for i in range(3)},
        ClusterMetadata({"t": 6}, {TopicPartition(*tp): {f"r{r[0]}"} for tp, r in replicas.items()}))
    assert got == {m: list(tps) for m, tps in expected.owned.items()}


def test_attach_reads_generation_and_rack_and_checks_membership() -> None:
    ours = assignors.AiokafkaAssignor("sticky")
    consumer = SimpleNamespace(_coordinator=SimpleNamespace(generation=9), _client_rack="az-1",
                               _partition_assignment_strategy=(ours,))
    assert assignors.attach(consumer) == [ours]
    assert ours.rack == "az-1" and ours.current_generation() == 9
    with pytest.raises(ValueError, match="not in the consumer"):
        assignors.AiokafkaAssignor("range").attach(consumer)
    with pytest.raises(ValueError, match="no AiokafkaAssignor"):
        assignors.attach(SimpleNamespace(_partition_assignment_strategy=(AiokafkaRange,)))


def test_attach_works_on_a_real_consumer() -> None:
    from aiokafka import AIOKafkaConsumer

    async def run() -> tuple[int, str | None]:
        ours = assignors.AiokafkaAssignor("cooperative-sticky")
        consumer = AIOKafkaConsumer("t", bootstrap_servers="127.0.0.1:1", client_rack="az-2",
                                    partition_assignment_strategy=[ours])
        assignors.attach(consumer)
        return ours.current_generation(), ours.rack

    assert asyncio.run(run()) == (-1, "az-2")


def test_unsupported_aiokafka_version_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compat.aiokafka, "__version__", "0.15.0")
    with pytest.raises(compat.AiokafkaCompatError, match="0.15.0"):
        assignors.AiokafkaAssignor("range")


def test_a_changed_leader_decoder_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ConsumerProtocol, "METADATA", object)
    with pytest.raises(compat.AiokafkaCompatError, match="_perform_assignment"):
        compat.install_subscription_decoder()


def test_a_grown_topic_is_seen_at_once_and_availability_is_per_call() -> None:
    partitioner = adapter.create("murmur2_random")
    key, signed = VECTORS[0]
    assert partitioner(key, [5, 4, 3, 2, 1, 0], [0]) == (signed & 0x7FFFFFFF) % 6
    assert partitioner(key, list(range(9)), [0]) == (signed & 0x7FFFFFFF) % 9
    assert partitioner(None, list(range(9)), [7]) == 7  # keyless: one of this call's available ones
    assert adapter.create("murmur2_random", sticky_linger_ms=0)(None, list(range(9)), [4]) == 4


def test_an_unattached_assignor_sends_minus_one_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    ours = assignors.AiokafkaAssignor("sticky")
    with caplog.at_level("WARNING", logger="strategies"):
        for _ in range(2):
            ours.on_assignment(ConsumerProtocolMemberAssignment(0, [("t", [0])], b""))
    assert compat.FullSubscription.decode(ours.metadata({"t"})).generation_id == -1
    assert [r.getMessage() for r in caplog.records if "not attached" in r.getMessage()] == [
        "AiokafkaAssignor('sticky') is not attached to its consumer: it sends generation -1; call "
        "strategies.aiokafka.attach(consumer)"]
