"""The memory-bounded producer, without a broker.

``ByteBudget`` is tested alone. ``BoundedProducer`` is built against an address where nothing
listens (``api_version`` given, so it never needs a broker to start). Two ways to drive it:

- the real ``KafkaProducer.send``, after handing the producer metadata for a topic whose leader
  is unreachable: records are accepted, never delivered, and expire after
  ``delivery_timeout_ms`` -- this checks the contract with kafka-python itself;
- a stand-in for ``KafkaProducer.send`` that keeps that contract (it calls the size hook, then
  returns a real ``FutureRecordMetadata``) so the test decides when records are acknowledged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, NotLeaderForPartitionError
from kafka.partitioner import DefaultPartitioner
from kafka.producer.future import FutureProduceResult, FutureRecordMetadata
from kafka.protocol.metadata import MetadataResponse
from kafka.serializer import Serializer
from kafka.structs import TopicPartition

from kpart.compat import kafka_python as compat
from kpart.compat.kafka_python import KafkaPythonCompatError
from partitioning.producer import BoundedProducer, BufferExhaustedError, ByteBudget, DeliveryStuckError

NOWHERE = "127.0.0.1:1"  # nothing listens on port 1
# kafka-python's size estimate for a record with no key, a 100-byte value and no headers:
# 61 (batch header) + 21 (max record overhead) + 1 (null key) + 2 (zigzag varint of 100)
# + 100 (value) + 1 (header count), by the record format v2 layout.
SIZE_OF_100_BYTE_VALUE = 186


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


# ---- ByteBudget ----------------------------------------------------------------------------


def test_reserve_within_limit_is_immediate_and_counted() -> None:
    budget = ByteBudget(1000)
    budget.reserve(400, timeout_ms=0)
    budget.reserve(600, timeout_ms=0)
    assert (budget.used, budget.peak) == (1000, 1000)
    budget.release(600)
    assert (budget.used, budget.peak) == (400, 1000)


def test_full_budget_raises_after_max_block_ms_naming_the_numbers() -> None:
    budget = ByteBudget(1000)
    budget.reserve(900, timeout_ms=0)
    start = time.monotonic()
    with pytest.raises(BufferExhaustedError) as caught:
        budget.reserve(200, timeout_ms=300)
    waited = time.monotonic() - start
    assert 0.3 <= waited < 0.3 + 5  # gave up, though a loaded machine may wake it late
    exc = caught.value
    assert (exc.limit, exc.requested, exc.buffered) == (1000, 200, 900)
    assert 300 <= exc.waited_ms <= waited * 1000  # what it reports is what it waited
    message = str(exc)
    assert "200-byte record" in message and "buffer_memory=1,000" in message and "max_block_ms" in message
    assert "900 bytes are waiting" in message
    assert isinstance(exc, KafkaTimeoutError)
    assert budget.used == 900


def test_request_larger_than_the_limit_fails_at_once() -> None:
    budget = ByteBudget(1000)
    start = time.monotonic()
    with pytest.raises(MessageSizeTooLargeError, match="buffer_memory=1,000"):
        budget.reserve(1001, timeout_ms=60_000)
    assert time.monotonic() - start < 30  # did not wait out its 60 s
    assert budget.used == 0


def test_blocked_reserve_proceeds_when_bytes_are_released() -> None:
    budget = ByteBudget(1000)
    budget.reserve(1000, timeout_ms=0)
    done = threading.Event()

    def reserve() -> None:
        budget.reserve(500, timeout_ms=5000)
        done.set()

    waiter = threading.Thread(target=reserve)
    waiter.start()
    assert not done.wait(0.1)
    budget.release(500)
    assert done.wait(10)
    waiter.join()
    assert budget.used == 1000


def test_waiters_are_served_first_come_first_served() -> None:
    budget = ByteBudget(1000)
    budget.reserve(1000, timeout_ms=0)
    order: list[str] = []

    def reserve(name: str, size: int) -> None:
        budget.reserve(size, timeout_ms=5000)
        order.append(name)

    def newcomer_is_refused() -> bool:
        """True once a 100-byte request that fits is refused: someone is waiting before it."""
        try:
            budget.reserve(100, timeout_ms=0)
        except BufferExhaustedError:
            return True
        budget.release(100)
        return False

    big = threading.Thread(target=reserve, args=("big", 800))
    big.start()
    budget.release(300)  # room for 300 bytes: not for the big request, enough for a small one
    assert wait_until(newcomer_is_refused)  # the big request waits, and a small one behind it
    small = threading.Thread(target=reserve, args=("small", 100))
    small.start()
    assert not wait_until(lambda: order != [], timeout=0.3)  # the small one stays behind the big one
    budget.release(700)
    big.join(10)
    small.join(10)
    assert order == ["big", "small"]
    assert budget.used == 900


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "32MiB", None])
def test_invalid_limit_is_refused(limit: object) -> None:
    with pytest.raises(ValueError, match="buffer_memory must be a positive number of bytes"):
        ByteBudget(limit)  # type: ignore[arg-type]


def test_releasing_more_than_reserved_is_an_error() -> None:
    budget = ByteBudget(100)
    budget.reserve(10, timeout_ms=0)
    with pytest.raises(ValueError, match="releasing 11 bytes but only 10"):
        budget.release(11)


@settings(max_examples=25, deadline=None)
@given(
    limit=st.integers(min_value=50, max_value=500),
    sizes=st.lists(st.lists(st.integers(min_value=1, max_value=50), max_size=15), min_size=2, max_size=4),
)
def test_concurrent_reservations_never_exceed_the_limit(limit: int, sizes: list[list[int]]) -> None:
    budget = ByteBudget(limit)
    seen_over: list[int] = []

    def worker(mine: list[int]) -> None:
        for size in mine:
            budget.reserve(size, timeout_ms=5000)
            if budget.used > limit:
                seen_over.append(budget.used)
            time.sleep(0)
            budget.release(size)

    threads = [threading.Thread(target=worker, args=(mine,)) for mine in sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen_over == []
    assert budget.peak <= limit
    assert budget.used == 0
    assert budget.peak == 0 or budget.peak >= max(s for mine in sizes for s in mine)


# ---- BoundedProducer -------------------------------------------------------------------


def make_producer(**configs: object) -> BoundedProducer:
    configs.setdefault("max_block_ms", 300)
    return BoundedProducer(bootstrap_servers=NOWHERE, api_version=(3, 9), enable_idempotence=False, **configs)


def know_topic(producer: KafkaProducer, topic: str = "t") -> None:
    """Hand ``producer`` metadata for a one-partition ``topic`` led by an unreachable broker."""
    r = MetadataResponse
    partition = r.MetadataResponseTopic.MetadataResponsePartition(
        error_code=0, partition_index=0, leader_id=0, replica_nodes=[0], isr_nodes=[0], version=1
    )
    producer._metadata.update_metadata(
        r(
            version=1,
            controller_id=0,
            brokers=[r.MetadataResponseBroker(node_id=0, host="127.0.0.1", port=1, rack=None, version=1)],
            topics=[
                r.MetadataResponseTopic(
                    error_code=0, name=topic, is_internal=False, partitions=[partition], version=1
                )
            ],
        )
    )


def make_expiring(delivery_timeout_ms: int = 600) -> BoundedProducer:
    """Room for two 100-byte records; accepted records fail after ``delivery_timeout_ms``."""
    made = make_producer(
        buffer_memory=2 * SIZE_OF_100_BYTE_VALUE,
        delivery_timeout_ms=delivery_timeout_ms,
        request_timeout_ms=delivery_timeout_ms // 2,
    )
    know_topic(made)
    return made


@pytest.fixture
def expiring() -> Iterator[BoundedProducer]:
    made = make_expiring()
    yield made
    made.close(timeout=5)  # KafkaProducer.close raises if a record is still pending after timeout


class ParentSend:
    """Stands in for ``KafkaProducer.send`` and keeps its contract with ``BoundedProducer``: it
    calls ``_ensure_valid_record_size`` with the record's size (here ``len(value)``) before
    queueing, then returns a ``FutureRecordMetadata`` that the test acknowledges or fails."""

    def __init__(self) -> None:
        self.queued: list[bytes] = []
        self.produced: list[FutureProduceResult] = []
        self.delay = 0.0  # seconds spent before the size check, as a metadata wait would
        self.raise_after_check: BaseException | None = None

    def __call__(
        self, producer, topic, value=None, key=None, headers=None, partition=None, timestamp_ms=None
    ):
        time.sleep(self.delay)
        getattr(producer, compat.RECORD_SIZE_HOOK)(len(value))  # as KafkaProducer.send does
        if self.raise_after_check is not None:
            raise self.raise_after_check
        self.queued.append(value)
        produced = FutureProduceResult(TopicPartition(topic, 0))
        self.produced.append(produced)
        return FutureRecordMetadata(produced, 0, 0, None, -1, len(value), -1)

    def acknowledge(self, index: int) -> None:
        self.produced[index].success((index, 0, None))

    def fail(self, index: int) -> None:
        self.produced[index].failure(NotLeaderForPartitionError("stand-in failure"))


@pytest.fixture
def parent(monkeypatch: pytest.MonkeyPatch) -> ParentSend:
    stand_in = ParentSend()

    def send(producer, *args, **kwargs):
        return stand_in(producer, *args, **kwargs)

    monkeypatch.setattr(KafkaProducer, "send", send)
    return stand_in


@pytest.fixture
def producer() -> Iterator[BoundedProducer]:
    """Room for two 100-byte records (as sized by the stand-in parent), 300 ms max_block_ms."""
    made = make_producer(buffer_memory=200)
    yield made
    made.close(timeout=5)


# -- with kafka-python's own send()


def test_kafka_python_itself_refuses_buffer_memory() -> None:
    with pytest.raises(ValueError, match="buffer_memory"):
        KafkaProducer(bootstrap_servers=NOWHERE, api_version=(3, 9), buffer_memory=1 << 20)


def test_send_reserves_kafka_pythons_estimate_of_the_record(expiring: BoundedProducer) -> None:
    expiring.send("t", b"v" * 100)
    assert expiring.buffered_bytes == SIZE_OF_100_BYTE_VALUE


class Upper(Serializer):
    def serialize(self, topic, headers, data):
        return data.upper().encode()


class RecordingPartitioner(DefaultPartitioner):
    def __init__(self) -> None:
        self.seen: list[tuple[object, ...]] = []

    def partition(self, topic, key, serialized_key, value, serialized_value, cluster):
        self.seen.append((key, serialized_key, value, serialized_value))
        return 0


def test_serializers_and_partitioner_see_what_kafka_producer_gives_them() -> None:
    partitioner = RecordingPartitioner()
    producer = make_producer(
        key_serializer=Upper(),
        value_serializer=Upper(),
        partitioner=partitioner,
        delivery_timeout_ms=600,
        request_timeout_ms=300,
    )
    know_topic(producer)
    try:
        producer.send("t", "v" * 100, key="k", headers=[("h", b"vv")])
        assert partitioner.seen == [("k", b"K", "v" * 100, b"V" * 100)]
        # The serialized record is measured: 61 + 21 + key (1 + 1) + value (2 + 100)
        # + header count 1 + header ("h": 1 + 1, b"vv": 1 + 2).
        assert producer.buffered_bytes == 61 + 21 + 2 + 102 + 1 + 5
    finally:
        producer.close(timeout=5)


def test_failed_records_release_their_bytes_and_unblock_a_waiting_send(expiring: BoundedProducer) -> None:
    first = expiring.send("t", b"v" * 100)
    second = expiring.send("t", b"v" * 100)
    expiring.config["max_block_ms"] = 5000  # long enough to outlast delivery_timeout_ms
    started = time.monotonic()
    third = expiring.send("t", b"v" * 100)  # waits for the first two to expire
    assert 0.5 <= time.monotonic() - started < 5  # well before its max_block_ms
    for future in (first, second):
        assert future.failed() and isinstance(future.exception, KafkaTimeoutError)
    assert expiring.buffered_bytes == SIZE_OF_100_BYTE_VALUE
    with pytest.raises(KafkaTimeoutError, match="Expiring"):
        third.get(timeout=5)
    assert expiring.buffered_bytes == 0


def test_flush_returns_with_every_byte_released(expiring: BoundedProducer) -> None:
    futures = [expiring.send("t", b"v" * 100) for _ in range(2)]
    expiring.flush(timeout=5)
    assert all(f.is_done for f in futures)
    assert expiring.buffered_bytes == 0


def test_full_buffer_raises_within_max_block_ms() -> None:
    producer = make_expiring(delivery_timeout_ms=1500)  # nothing frees room while it waits
    try:
        producer.send("t", b"v" * 100)
        producer.send("t", b"v" * 100)
        start = time.monotonic()
        with pytest.raises(BufferExhaustedError) as caught:
            producer.send("t", b"v" * 100)
        assert 0.3 <= time.monotonic() - start < 0.3 + 5  # gave up, though perhaps woken late
        limit, size = 2 * SIZE_OF_100_BYTE_VALUE, SIZE_OF_100_BYTE_VALUE
        assert (caught.value.limit, caught.value.requested, caught.value.buffered) == (limit, size, limit)
        assert producer.buffered_bytes == limit
    finally:
        producer.close(timeout=10)


def test_record_larger_than_buffer_memory_fails_at_once() -> None:
    producer = make_producer(buffer_memory=1000, max_block_ms=60_000)
    know_topic(producer)
    try:
        start = time.monotonic()
        with pytest.raises(MessageSizeTooLargeError, match="larger than buffer_memory=1,000 bytes"):
            producer.send("t", b"v" * 1000)
        assert time.monotonic() - start < 30  # did not wait out its 60 s
        assert producer.buffered_bytes == producer.peak_buffered_bytes == 0
    finally:
        producer.close(timeout=5)


def test_records_refused_before_queueing_reserve_nothing(expiring: BoundedProducer) -> None:
    with pytest.raises(ValueError, match="Need at least one: key or value"):
        expiring.send("t", value=None, key=None)
    with pytest.raises(TypeError, match="headers"):
        expiring.send("t", b"v", headers=[("h", "not bytes")])
    with pytest.raises(KafkaTimeoutError, match="metadata"):
        expiring.send("unknown-topic", b"v" * 100)
    assert expiring.peak_buffered_bytes == 0


def test_invalid_buffer_memory_is_refused() -> None:
    with pytest.raises(ValueError, match="buffer_memory must be a positive number of bytes, got 0"):
        make_producer(buffer_memory=0)


# -- with a stand-in parent: the test decides when records are acknowledged


def test_bytes_are_held_until_acknowledged(producer: BoundedProducer, parent: ParentSend) -> None:
    future = producer.send("t", b"v" * 100)
    assert producer.buffered_bytes == 100
    parent.acknowledge(0)
    assert future.get(1).offset == 0
    assert producer.buffered_bytes == 0
    assert producer.peak_buffered_bytes == 100


def test_bytes_are_released_when_the_record_fails(producer: BoundedProducer, parent: ParentSend) -> None:
    future = producer.send("t", b"v" * 100)
    parent.fail(0)
    with pytest.raises(NotLeaderForPartitionError):
        future.get(1)
    assert producer.buffered_bytes == 0


def test_callbacks_see_the_bytes_already_released(producer: BoundedProducer, parent: ParentSend) -> None:
    seen: list[int] = []
    producer.send("t", b"v" * 100).add_callback(lambda _: seen.append(producer.buffered_bytes))
    producer.send("t", b"v" * 100).add_errback(lambda _: seen.append(producer.buffered_bytes))
    parent.acknowledge(0)
    parent.fail(1)
    assert seen == [100, 0]


def test_full_buffer_blocks_send_until_a_record_is_acknowledged(parent: ParentSend) -> None:
    producer = make_producer(buffer_memory=200, max_block_ms=5000)
    try:
        producer.send("t", b"v" * 100)
        producer.send("t", b"v" * 100)
        sent = threading.Event()
        third = threading.Thread(target=lambda: (producer.send("t", b"v" * 100), sent.set()))
        third.start()
        assert not sent.wait(0.2)
        assert len(parent.queued) == 2
        parent.acknowledge(0)
        assert sent.wait(10)
        third.join()
        assert len(parent.queued) == 3
        assert producer.buffered_bytes == 200
    finally:
        producer.close(timeout=5)


def test_full_buffer_raises_and_queues_nothing(producer: BoundedProducer, parent: ParentSend) -> None:
    producer.send("t", b"v" * 100)
    producer.send("t", b"v" * 100)
    with pytest.raises(BufferExhaustedError):
        producer.send("t", b"v" * 100)
    assert len(parent.queued) == 2
    assert producer.buffered_bytes == 200


def test_max_block_ms_bounds_the_whole_send(producer: BoundedProducer, parent: ParentSend) -> None:
    producer.config["max_block_ms"] = 1500
    producer.send("t", b"v" * 100)
    producer.send("t", b"v" * 100)
    parent.delay = 1.2  # time spent before the size check (a metadata wait) comes off the budget
    start = time.monotonic()
    with pytest.raises(BufferExhaustedError) as caught:
        producer.send("t", b"v" * 100)
    assert 1.5 <= time.monotonic() - start < 1.5 + 1.2  # not 2.7 s: max_block_ms is for the whole send
    assert caught.value.waited_ms < 900  # about 300 ms left after the delay, not 1500


def test_error_after_the_size_check_gives_the_bytes_back(
    producer: BoundedProducer, parent: ParentSend
) -> None:
    parent.raise_after_check = RuntimeError("accumulator closed")
    with pytest.raises(RuntimeError, match="accumulator closed"):
        producer.send("t", b"v" * 100)
    assert producer.buffered_bytes == 0


def test_send_from_the_sender_thread_never_waits(producer: BoundedProducer, parent: ParentSend) -> None:
    producer.config["max_block_ms"] = 60_000
    producer.send("t", b"v" * 100)
    producer.send("t", b"v" * 100)
    outcome: list[BaseException] = []

    def from_callback() -> None:
        try:
            producer.send("t", b"v" * 100)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    stand_in_sender = threading.Thread(target=from_callback)
    with pytest.MonkeyPatch.context() as patch:  # the compat seam names kafka-python's I/O thread
        patch.setattr(compat, "sender_thread", lambda of: stand_in_sender if of is producer else None)
        stand_in_sender.start()
        stand_in_sender.join(30)
        assert not stand_in_sender.is_alive()  # did not wait out its 60 s
    assert len(outcome) == 1 and isinstance(outcome[0], BufferExhaustedError)


def test_many_threads_stay_within_the_bound_and_every_record_completes(parent: ParentSend) -> None:
    limit = 500
    producer = make_producer(buffer_memory=limit, max_block_ms=5000)
    futures: list[FutureRecordMetadata] = []
    lock = threading.Lock()
    stop = threading.Event()
    over: list[int] = []

    def acknowledger() -> None:
        done = 0
        while not stop.is_set() or done < len(parent.produced):
            if done < len(parent.produced):
                if producer.buffered_bytes > limit:
                    over.append(producer.buffered_bytes)
                (parent.acknowledge if done % 3 else parent.fail)(done)
                done += 1
            else:
                time.sleep(0.001)

    def sender() -> None:
        for _ in range(50):
            future = producer.send("t", b"v" * 100)
            with lock:
                futures.append(future)

    acking = threading.Thread(target=acknowledger)
    acking.start()
    senders = [threading.Thread(target=sender) for _ in range(4)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(10)
    stop.set()
    acking.join(10)
    producer.close(timeout=5)
    assert over == []
    assert len(futures) == 200 and all(f.is_done for f in futures)
    assert sum(f.succeeded() for f in futures) + sum(f.failed() for f in futures) == 200
    assert producer.buffered_bytes == 0
    assert 0 < producer.peak_buffered_bytes <= limit


# -- the seam to kafka-python's internals


def test_send_that_skips_the_size_hook_is_refused_and_so_is_every_later_send(
    producer: BoundedProducer, parent: ParentSend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BoundedProducer, "_ensure_valid_record_size", lambda self, size: None)
    with pytest.raises(KafkaPythonCompatError, match="without calling KafkaProducer._ensure_valid"):
        producer.send("t", b"v" * 100)
    monkeypatch.undo()
    with pytest.raises(KafkaPythonCompatError, match="refuses further sends"):
        producer.send("t", b"v" * 100)


def test_unknown_kafka_python_version_refuses_to_build_a_bounded_producer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compat.kafka, "__version__", "3.0.13")
    with pytest.raises(KafkaPythonCompatError, match="kafka-python 3.0.13 is not supported"):
        make_producer()


def test_an_unclosed_producer_is_still_collected_and_its_watchdog_ends() -> None:
    import gc
    import weakref

    def watchdogs() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "kpart-stuck-record-watchdog"}

    before = watchdogs()
    made = make_producer()
    [watchdog] = watchdogs() - before
    ref = weakref.ref(made)
    del made
    gc.collect()
    assert ref() is None
    watchdog.join(5)
    assert not watchdog.is_alive()


def test_records_kafka_python_never_resolves_fail_as_stuck_and_later_sends_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import partitioning.producer as producer_module

    monkeypatch.setattr(producer_module, "STUCK_MARGIN_MS", 200)
    made = make_producer(buffer_memory=10 * SIZE_OF_100_BYTE_VALUE, delivery_timeout_ms=600,
                         request_timeout_ms=300)
    try:
        know_topic(made)
        # a wedged sender: it never expires (nor sends) a batch, as after the idempotent stall
        monkeypatch.setattr(made._accumulator, "expired_batches", lambda now=None: [])
        monkeypatch.setattr(compat.sender_thread(made), "_get_expired_inflight_batches", lambda now=None: [])
        started = time.monotonic()
        futures = [made.send("t", b"v" * 100) for _ in range(3)]
        assert wait_until(lambda: all(f.is_done for f in futures), timeout=10)
        assert 0.6 + 0.3 <= time.monotonic() - started < 0.6 + 0.3 + 3
        for future in futures:
            assert isinstance(future.exception, DeliveryStuckError)
        assert made.buffered_bytes == 0
        with pytest.raises(DeliveryStuckError, match="accepts no more"):
            made.send("t", b"v" * 100)
        made.flush(timeout=1)
    finally:
        made.close(timeout=1)
