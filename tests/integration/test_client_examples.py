"""The aiokafka and confluent-kafka hello_world examples: keys land where Java puts them, and
consumers of three clients (kafka-python, aiokafka, librdkafka) share one group under ``range``."""

from __future__ import annotations

import re
import time

import pytest
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

from tests.integration.example_processes import ConsumerProcess, run_example

pytestmark = pytest.mark.integration




@pytest.mark.parametrize("script, extra", [
    ("aiokafka_partition_producer.py", ()),
    ("confluent_partition_producer.py", ()),
    ("confluent_partition_producer.py", ("--native",)),
])
def test_producer_examples_put_keys_where_java_does(script: str, extra: tuple[str, ...],
                                                    kafka_bootstrap: str) -> None:
    topic = f"hello_world_{time.monotonic_ns()}"
    out = run_example(script, "--bootstrap", kafka_bootstrap, "--topic", topic, *extra)
    assert f"topic {topic}: 6 partitions" in out
    landed = re.findall(r"^(key-\d+) -> partition (\d)$", out, re.MULTILINE)
    assert len(landed) == 24
    for key, partition in landed:  # kafka-python's own murmur2 port as the independent reference
        assert int(partition) == (kafka_python_murmur2(key.encode()) & 0x7FFFFFFF) % 6, key
    assert re.search(r"^records per partition: (p\d=\d+, ){5}p5=\d+$", out, re.MULTILINE)


def test_kafka_python_aiokafka_and_librdkafka_consumers_share_a_range_group(
        kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(6)
    common = ("--bootstrap", kafka_bootstrap, "--topic", topic, "--group", f"mixed-{topic}",
              "--strategy", "range")
    consumers = [ConsumerProcess("kafka-python", *common),
                 ConsumerProcess("aiokafka", *common, script="aiokafka_partition_consumer.py"),
                 ConsumerProcess("librdkafka", *common, script="confluent_partition_consumer.py")]
    try:
        deadline = time.monotonic() + 60
        while True:
            owned = [frozenset(c.owned) for c in consumers]
            # range over 6 partitions and 3 members: two contiguous partitions each
            if len(set(owned)) == 3 and set(owned) == {frozenset({i, i + 1}) for i in (0, 2, 4)}:
                break
            for c in consumers:
                assert c.proc.poll() is None, "\n".join(c.lines[-20:])
            assert time.monotonic() < deadline, {c.name: c.lines[-8:] for c in consumers}
            time.sleep(0.2)
    finally:
        for c in consumers:
            c.stop()
