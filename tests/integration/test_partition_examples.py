"""The hello_world examples: keys map to partitions, and a group of consumers shares all of them."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from kafka import KafkaConsumer, TopicPartition

import partitioning
from tests.integration.example_processes import ConsumerProcess, run_example

pytestmark = pytest.mark.integration




def test_partition_producer_prints_the_partition_each_key_landed_on(kafka_bootstrap: str) -> None:
    topic = f"hello_world_{time.monotonic_ns()}"
    output = run_example(
        "partition_producer.py", "--bootstrap", kafka_bootstrap, "--topic", topic,
        "--partitioner", "murmur2", "--keys", "12", "--rounds", "2",
    )  # fmt: skip
    assert f"topic {topic}: 6 partitions" in output
    landed = re.findall(r"^(key-\d+) -> partition (\d)$", output, re.MULTILINE)
    assert len(landed) == 24
    by_key: dict[str, set[int]] = {}
    for key, partition in landed:
        by_key.setdefault(key, set()).add(int(partition))
    assert all(len(partitions) == 1 for partitions in by_key.values()), "a key moved between partitions"

    murmur2 = partitioning.registry.create("murmur2")
    view = partitioning.PartitionView(topic, range(6))
    for key, partitions in by_key.items():
        assert partitions == {murmur2.partition(key.encode(), None, view)}

    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest")
    try:
        for key, (partition,) in by_key.items():
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek_to_beginning(tp)
            records = consumer.poll(timeout_ms=10_000, max_records=100).get(tp, [])
            assert key.encode() in {r.key for r in records}, f"{key} not found in partition {partition}"
    finally:
        consumer.close()


def test_partition_producer_reuses_an_existing_topic(kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(3)
    output = run_example("partition_producer.py", "--bootstrap", kafka_bootstrap, "--topic", topic)
    assert f"topic {topic}: 3 partitions" in output
    assert re.search(r"^records per partition: p0=\d+, p1=\d+, p2=\d+$", output, re.MULTILINE)


def wait_for(condition: Callable[[], bool], consumers: list[ConsumerProcess], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {c.name}\n" + "\n".join(c.lines[-15:]) for c in consumers)
            raise AssertionError(f"condition not met in {timeout:.0f} s; consumer output:\n{logs}")
        time.sleep(0.2)


def covers_each_partition_once(consumers: list[ConsumerProcess], partitions: int) -> bool:
    owned = [p for c in consumers for p in c.owned]
    return sorted(owned) == list(range(partitions)) and all(c.owned for c in consumers)


@pytest.mark.parametrize("strategy", ["range", "roundrobin", "cooperative-sticky"])
def test_three_consumers_share_six_partitions_and_survivors_take_over(
    kafka_bootstrap: str, make_topic, strategy: str
) -> None:
    topic = make_topic(6)
    produce = ("partition_producer.py", "--bootstrap", kafka_bootstrap, "--topic", topic, "--keys", "30")
    run_example(*produce)
    common = ("--bootstrap", kafka_bootstrap, "--topic", topic, "--group", f"g-{topic}")
    common += ("--strategy", strategy)
    consumers = [ConsumerProcess(f"c{i}", *common) for i in range(3)]
    try:
        wait_for(lambda: covers_each_partition_once(consumers, 6), consumers)
        assert [len(c.owned) for c in consumers] == [2, 2, 2]
        marks = {c.name: len(c.lines) for c in consumers}
        run_example(*produce)  # every partition gets new records: each member reads its own
        wait_for(lambda: all(c.has_read_since(marks[c.name]) for c in consumers), consumers)

        leaving = consumers.pop()
        taken_over = set(leaving.owned)
        leaving.stop()
        wait_for(lambda: covers_each_partition_once(consumers, 6), consumers)
        assert sorted(len(c.owned) for c in consumers) == [3, 3]
        assert taken_over <= consumers[0].owned | consumers[1].owned
    finally:
        for consumer in consumers:
            consumer.stop()
