"""A producer that outpaces its broker stays within ``buffer_memory`` and loses nothing.

Delivery and the example run against the session's broker. The stall tests need a broker they
may freeze, so they start their own single node and pause its JVM with SIGSTOP (SIGCONT in a
``finally``): connections stay open, nothing is answered, as with a hung broker.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaTimeoutError
from kafka.producer.future import FutureRecordMetadata

from kpart.broker import BrokerError, LocalCluster
from partitioning.producer import BoundedProducer, BufferExhaustedError
from tests.conftest import unavailable

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SLACK_S = 0.5  # allowed beyond max_block_ms for a blocked send to give up


def read_values(bootstrap: str, topic: str, expected: int, timeout: float = 30.0) -> list[bytes]:
    """Every value in ``topic`` from the beginning, once ``expected`` have arrived (or timeout)."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    values: list[bytes] = []
    try:
        deadline = time.monotonic() + timeout
        while len(values) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
        values.extend(r.value for rs in consumer.poll(timeout_ms=500).values() for r in rs)  # any extra
    finally:
        consumer.close()
    return values


# ---- against the session broker ----------------------------------------------------------


def test_sync_and_async_sends_deliver_every_record(kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(3)
    sync_values = [f"sync-{i}".encode() for i in range(300)]
    async_values = [f"async-{i}".encode() for i in range(3000)]
    acknowledged: list[object] = []
    failed: list[BaseException] = []
    with BoundedProducer(bootstrap_servers=kafka_bootstrap, buffer_memory=64 * 1024) as producer:
        offsets = [producer.send(topic, v).get(timeout=30).offset for v in sync_values]
        for value in async_values:
            producer.send(topic, value).add_callback(acknowledged.append).add_errback(failed.append)
        producer.flush(timeout=60)
        assert producer.buffered_bytes == 0
        assert producer.peak_buffered_bytes <= 64 * 1024
    assert all(offset >= 0 for offset in offsets)
    assert (len(acknowledged), failed) == (3000, [])
    delivered = read_values(kafka_bootstrap, topic, expected=3300)
    assert sorted(delivered) == sorted(sync_values + async_values)


def test_example_reports_rates_and_every_record_acknowledged(kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(3)
    run = subprocess.run(
        [
            sys.executable,
            str(REPO / "examples" / "basic_producer.py"),
            "--bootstrap",
            kafka_bootstrap,
            "--topic",
            topic,
            "--records",
            "300",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = run.stdout
    assert run.returncode == 0, run.stderr[-2000:]
    for mode in ("sync", "async"):
        assert re.search(
            rf"^{mode}: 300 records in [\d.]+ s = [\d,]+ records/s \(acknowledged 300, failed 0\)$", out, re.M
        ), out
    blocked = re.search(
        r"send blocked ([\d.]+) s \(max_block_ms=1000\), then raised BufferExhaustedError", out
    )
    assert blocked and 1.0 <= float(blocked.group(1)) < 1.0 + SLACK_S, out
    stall = re.search(r"of (\d+) accepted records: acknowledged (\d+), failed (\d+)", out)
    assert stall, out
    accepted, acked, failed = map(int, stall.groups())
    assert accepted > 0 and (acked, failed) == (accepted, 0), out
    # The broker holds what the example says it acknowledged: both modes, the warm-up, the stall.
    assert len(read_values(kafka_bootstrap, topic, expected=300 + 300 + 1 + accepted)) == 601 + accepted


def test_example_without_a_broker_says_so_in_one_line() -> None:
    run = subprocess.run(
        [sys.executable, str(REPO / "examples" / "basic_producer.py"), "--bootstrap", "127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1].startswith("error: no Kafka broker answered at 127.0.0.1:1")
    assert "Traceback" not in run.stderr


# ---- against a broker of our own that we freeze ------------------------------------------


@pytest.fixture(scope="module")
def stoppable_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster.on_free_ports(tmp_path_factory.mktemp("stoppable-kafka"), nodes=1)
    try:
        cluster.start()
    except BrokerError as exc:
        unavailable("cannot start a broker to stall", str(exc))
    try:
        yield cluster
    finally:
        cluster.stop()


@contextmanager
def frozen(cluster: LocalCluster) -> Iterator[None]:
    pid = cluster.pid(cluster.nodes[0])
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def new_topic(cluster: LocalCluster, name: str) -> str:
    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    try:
        admin.create_topics([NewTopic(name, 1, 1)])
    finally:
        admin.close()
    return name


def warm_up(producer: KafkaProducer, topic: str) -> None:
    """Send one record, retrying while a tiny ``max_block_ms`` is too short to fetch metadata."""
    deadline = time.monotonic() + 30
    while True:
        try:
            producer.send(topic, b"warm-up").get(timeout=30)
            return
        except KafkaTimeoutError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_memory_stays_bounded_while_the_broker_is_stalled(stoppable_broker: LocalCluster) -> None:
    topic = new_topic(stoppable_broker, "bounded-memory")
    limit, offered = 1 << 20, 4096  # 1 MiB buffer; 4096 x 4 KiB = 16 MiB offered while stalled
    value = b"x" * 4096
    process = psutil.Process()
    common = {"bootstrap_servers": stoppable_broker.bootstrap, "batch_size": 256 * 1024}  # fewer requests
    bounded = BoundedProducer(buffer_memory=limit, max_block_ms=0, **common)
    plain = KafkaProducer(**common)
    acked: list[object] = []
    failed: list[BaseException] = []
    samples: list[int] = []
    try:
        warm_up(bounded, topic)
        plain.send(topic, b"warm-up").get(timeout=30)
        with frozen(stoppable_broker):
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.is_set():
                    samples.append(bounded.buffered_bytes)
                    time.sleep(0.0005)

            sampler = threading.Thread(target=sample)
            sampler.start()
            rss_before = process.memory_info().rss
            accepted = refused = 0
            for _ in range(offered):
                try:
                    future = bounded.send(topic, value)
                except BufferExhaustedError:
                    refused += 1
                    continue
                accepted += 1
                future.add_callback(acked.append).add_errback(failed.append)
                samples.append(bounded.buffered_bytes)
            sampling.set()
            sampler.join()
            rss_bounded = process.memory_info().rss
            for _ in range(offered):
                plain.send(topic, value)
            rss_plain = process.memory_info().rss
        grew_bounded = (rss_bounded - rss_before) / 2**20
        grew_plain = (rss_plain - rss_bounded) / 2**20
        print(
            f"\n16 MiB offered to a stalled broker: BoundedProducer(buffer_memory=1 MiB) accepted {accepted},"
            f" refused {refused}, peak accounted {bounded.peak_buffered_bytes:,} B,"
            f" RSS +{grew_bounded:.1f} MiB;"
            f" plain KafkaProducer RSS +{grew_plain:.1f} MiB"
        )
        assert max(samples) <= limit and bounded.peak_buffered_bytes <= limit
        assert bounded.peak_buffered_bytes > limit - 4200  # it did fill: the bound is what held it
        assert accepted + refused == offered and refused > 0
        assert grew_bounded < 8, f"RSS grew {grew_bounded:.1f} MiB with a 1 MiB buffer"
        assert grew_plain > 12, "the unbounded baseline should grow with the 16 MiB offered to it"
        bounded.flush(timeout=60)
        assert (len(acked), failed) == (accepted, [])
        assert bounded.buffered_bytes == 0
        plain.flush(timeout=120)
    finally:
        bounded.close(timeout=60)
        plain.close(timeout=60)


def test_full_buffer_raises_within_max_block_ms_then_recovers(stoppable_broker: LocalCluster) -> None:
    topic = new_topic(stoppable_broker, "exhaustion")
    max_block_ms = 1500
    producer = BoundedProducer(
        bootstrap_servers=stoppable_broker.bootstrap, buffer_memory=64 * 1024, max_block_ms=max_block_ms
    )
    futures: list[FutureRecordMetadata] = []
    try:
        producer.send(topic, b"warm-up").get(timeout=30)
        with frozen(stoppable_broker):
            waits: list[float] = []
            while len(waits) < 2:
                started = time.monotonic()
                try:
                    futures.append(producer.send(topic, b"x" * 1024))
                except BufferExhaustedError as exc:
                    waits.append(time.monotonic() - started)
                    assert exc.limit == 64 * 1024 and exc.buffered + exc.requested > exc.limit
                else:
                    assert time.monotonic() - started < max_block_ms / 1000, "a send that fits must not wait"
            # A send waiting for room when the broker comes back goes through instead of failing.
            late: list[object] = []

            def send_late() -> None:
                try:
                    late.append(producer.send(topic, b"late" * 256))
                except BufferExhaustedError as exc:
                    late.append(exc)

            waiting = threading.Thread(target=send_late)
            waiting.start()
            time.sleep(0.1)
            assert waiting.is_alive(), "with the buffer full, send() must wait for room"
        waiting.join(5)
        assert len(late) == 1 and isinstance(late[0], FutureRecordMetadata), late
        futures.append(late[0])
        assert all(max_block_ms / 1000 <= w < max_block_ms / 1000 + SLACK_S for w in waits), waits
        producer.flush(timeout=60)
        assert all(f.succeeded() for f in futures)
        assert producer.buffered_bytes == 0
    finally:
        producer.close(timeout=10)
    assert len(read_values(stoppable_broker.bootstrap, topic, expected=len(futures) + 1)) == len(futures) + 1
