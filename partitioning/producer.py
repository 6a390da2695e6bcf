"""A kafka-python producer whose buffer of unsent records is bounded in bytes.

kafka-python 3.x dropped ``buffer_memory`` and its buffer pool, so a ``KafkaProducer`` that
outpaces the broker keeps accepting records and grows without limit. ``BoundedProducer`` brings
the Java client's semantics back:

- the serialized records waiting to be sent or acknowledged never take more than
  ``buffer_memory`` bytes (default 32 MiB);
- when a record does not fit, ``send()`` blocks until enough earlier records are acknowledged
  or fail, then raises ``BufferExhaustedError`` once ``max_block_ms`` (default 60 s) is spent;
- a record larger than ``buffer_memory`` itself fails at once with ``MessageSizeTooLargeError``;
- blocked senders are served first come, first served, so a large record is not starved by a
  stream of small ones;
- a record still neither acknowledged nor failed ``delivery_timeout_ms`` plus a margin after it
  was sent fails with :class:`DeliveryStuckError`, and so do all other unresolved records; the
  producer then refuses every ``send()`` with that error. (kafka-python 3.0.12 with idempotence
  on, its default, can stop completing records for good after a broker stall longer than
  ``delivery_timeout_ms``: without this, ``flush()`` and ``close(timeout)`` would raise forever
  and the buffer would stay full although the broker is healthy again.)

kafka-python's internals used here (the per-record size check, the sender thread, the record
batches) are reached through :mod:`kpart.compat.kafka_python`, which refuses unknown
kafka-python versions; if ``send()`` ever queues a record without the size check running,
``BoundedProducer`` raises and refuses to go on rather than stop bounding silently.

Usage::

    from partitioning.producer import BoundedProducer, BufferExhaustedError

    producer = BoundedProducer(bootstrap_servers="127.0.0.1:9092", buffer_memory=8 << 20)
    try:
        producer.send("events", b"payload").add_errback(print)
    except BufferExhaustedError:
        ...  # the broker has not kept up for max_block_ms: back off, shed load or fail
"""

from __future__ import annotations

import collections
import functools
import logging
import threading
import time
import weakref
from typing import Any

from kpart.extras import require

require("kafka", "kafka-python")  # one line naming the extra when kafka-python is missing

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from kafka.producer.future import FutureRecordMetadata

from kpart.compat import kafka_python as compat

__all__ = [
    "DEFAULT_BUFFER_MEMORY",
    "STUCK_MARGIN_MS",
    "BoundedProducer",
    "BufferExhaustedError",
    "ByteBudget",
    "DeliveryStuckError",
]

DEFAULT_BUFFER_MEMORY = 32 * 1024 * 1024
STUCK_MARGIN_MS = 5000
"""A record unresolved ``delivery_timeout_ms`` + ``max(STUCK_MARGIN_MS, request_timeout_ms)``
after it was sent is stuck: kafka-python should have failed it by then."""

log = logging.getLogger("partitioning")


class DeliveryStuckError(KafkaTimeoutError):
    """kafka-python stopped completing records: one was still unresolved ``age_ms`` after it
    was sent, past ``delivery_timeout_ms``. Every unresolved record fails with this error and
    the producer refuses further sends with it: close it and create a new one."""

    def __init__(self, age_ms: float, delivery_timeout_ms: int, failed: int = 0) -> None:
        super().__init__(
            f"a record was neither acknowledged nor failed {age_ms:,.0f} ms after send()"
            f" (delivery_timeout_ms={delivery_timeout_ms:,}): kafka-python's sender stopped"
            " completing records (seen with idempotence on after a broker stall); the unresolved"
            " records failed and this producer accepts no more: close it and create a new one"
        )
        self.age_ms = age_ms
        self.delivery_timeout_ms = delivery_timeout_ms
        self.failed = failed


class BufferExhaustedError(KafkaTimeoutError):
    """No room for a record in ``buffer_memory`` before ``max_block_ms`` ran out.

    A ``KafkaTimeoutError`` (as in the Java client), so code that already handles send timeouts
    handles this too. ``limit``, ``requested`` and ``buffered`` are bytes (``buffered``: what was
    waiting to be sent when the wait gave up); ``waited_ms`` is how long this record waited.
    """

    def __init__(self, limit: int, requested: int, buffered: int, waited_ms: float) -> None:
        super().__init__(
            f"no room for a {requested:,}-byte record in buffer_memory={limit:,} bytes within"
            f" max_block_ms (waited {waited_ms:,.0f} ms): {buffered:,} bytes are waiting to be"
            " sent; the broker is not keeping up (raise buffer_memory or max_block_ms, or slow down)"
        )
        self.limit = limit
        self.requested = requested
        self.buffered = buffered
        self.waited_ms = waited_ms


class ByteBudget:
    """A thread-safe count of reserved bytes that never exceeds ``limit``.

    ``reserve`` waits (first come, first served) until the request fits; ``release`` gives
    bytes back and wakes waiters. ``peak`` is the highest count ever reached.
    """

    def __init__(self, limit: int) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            raise ValueError(f"buffer_memory must be a positive number of bytes, got {limit!r}")
        self.limit = limit
        self._used = 0
        self._peak = 0
        self._waiting: collections.deque[object] = collections.deque()
        self._changed = threading.Condition(threading.Lock())

    @property
    def used(self) -> int:
        return self._used

    @property
    def peak(self) -> int:
        return self._peak

    def reserve(self, size: int, timeout_ms: float) -> None:
        """Take ``size`` bytes, waiting up to ``timeout_ms``; else raise ``BufferExhaustedError``.

        A request larger than ``limit`` can never fit and raises ``MessageSizeTooLargeError``.
        """
        if size > self.limit:
            raise MessageSizeTooLargeError(
                f"the record is {size:,} bytes when serialized, larger than"
                f" buffer_memory={self.limit:,} bytes: it can never be buffered"
            )
        with self._changed:
            if not self._waiting and self._used + size <= self.limit:
                self._take(size)
                return
            turn = object()
            self._waiting.append(turn)
            started = time.monotonic()
            deadline = started + max(timeout_ms, 0) / 1000
            try:
                while self._waiting[0] is not turn or self._used + size > self.limit:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        waited_ms = (time.monotonic() - started) * 1000
                        raise BufferExhaustedError(self.limit, size, self._used, waited_ms)
                    self._changed.wait(remaining)
                self._take(size)
            finally:
                self._waiting.remove(turn)
                self._changed.notify_all()

    def release(self, size: int) -> None:
        """Give back ``size`` bytes taken by ``reserve``."""
        with self._changed:
            if size > self._used:
                raise ValueError(f"releasing {size} bytes but only {self._used} are reserved")
            self._used -= size
            if self._waiting:
                self._changed.notify_all()

    def _take(self, size: int) -> None:
        self._used += size
        self._peak = max(self._peak, self._used)


class BoundedProducer(KafkaProducer):
    """``KafkaProducer`` with ``buffer_memory``: the bytes awaiting the broker are bounded.

    Takes every ``KafkaProducer`` setting plus ``buffer_memory`` (bytes, default 32 MiB).
    Guarantees:

    - ``buffered_bytes`` never exceeds ``buffer_memory``. It sums, over every record sent but
      not yet acknowledged or failed, the size kafka-python itself checks against
      ``max_request_size`` (the serialized record plus batch framing). Not counted: the Python
      objects kept per pending record, roughly 0.6-0.9 KB each (``benchmarks/bench_producer.py``),
      which dominate for small records; size ``buffer_memory`` with that in mind.
    - ``send()`` blocks at most ``max_block_ms`` in all, waiting for topic metadata and then for
      room, and raises ``BufferExhaustedError`` when room did not come in time; the record is
      then not queued. Called from a delivery callback, ``send()`` never waits for room, since
      that thread is the one that frees it.
    - A record's bytes are released when its future completes, successfully or not, before any
      callback the caller adds runs. Every record ``send()`` accepts ends acknowledged or failed
      through its future, at the latest ``delivery_timeout_ms`` + max(``STUCK_MARGIN_MS``,
      ``request_timeout_ms``) (+1 s) after ``send()``: a record kafka-python has not resolved
      by then fails with :class:`DeliveryStuckError`, so do all unresolved records, and every
      later ``send()`` raises that error. ``flush()`` and ``close()`` are ``KafkaProducer``'s.

    Serializers, partitioners and interceptors see exactly what they see in ``KafkaProducer``.
    """

    def __init__(self, *, buffer_memory: int = DEFAULT_BUFFER_MEMORY, **configs: Any) -> None:
        compat.require_record_size_hook(KafkaProducer)
        self._budget = ByteBudget(buffer_memory)
        self._call = threading.local()  # per sending thread: its send() deadline and reservation
        self._refusal: BaseException | None = None  # set once: every later send() raises it
        self._closing = threading.Event()
        super().__init__(**configs)
        margin_ms = max(STUCK_MARGIN_MS, self.config["request_timeout_ms"])
        limit_ms = self.config["delivery_timeout_ms"] + margin_ms
        self._watchdog = threading.Thread(  # holds the producer weakly: garbage collection still closes it
            target=_watch_for_stuck_records, args=(weakref.ref(self), self._closing, limit_ms / 1000),
            daemon=True, name="kpart-stuck-record-watchdog")
        self._watchdog.start()

    def close(self, timeout: float | None = None, null_logger: bool = False) -> None:
        """``KafkaProducer.close``."""
        if hasattr(self, "_closing"):
            self._closing.set()
        if hasattr(self, "config"):  # absent only if __init__ failed before KafkaProducer's ran
            super().close(timeout=timeout, null_logger=null_logger)

    def _fail_stuck(self, age_ms: float, delivery_timeout_ms: int) -> None:
        error = DeliveryStuckError(age_ms, delivery_timeout_ms)
        self._refusal = error
        error.failed = compat.abort_stuck_batches(self, error)
        log.error("%s (%d records failed)", error, error.failed)

    @property
    def buffer_memory(self) -> int:
        """The bound, in bytes."""
        return self._budget.limit

    @property
    def buffered_bytes(self) -> int:
        """Bytes of records sent but not yet acknowledged or failed."""
        return self._budget.used

    @property
    def peak_buffered_bytes(self) -> int:
        """The highest ``buffered_bytes`` reached since this producer was created."""
        return self._budget.peak

    def send(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        headers: list[tuple[str, bytes]] | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> FutureRecordMetadata:
        """Queue a record as ``KafkaProducer.send`` does, once it fits in ``buffer_memory``.

        Raises ``BufferExhaustedError`` if it does not fit within ``max_block_ms``, and
        ``MessageSizeTooLargeError`` if it is larger than ``buffer_memory``.
        """
        if self._refusal is not None:
            raise self._refusal
        call = self._call
        call.deadline = time.monotonic() + self.config["max_block_ms"] / 1000
        call.reserved = 0
        call.checked = False
        try:
            future = super().send(
                topic, value=value, key=key, headers=headers, partition=partition, timestamp_ms=timestamp_ms
            )
        except BaseException:
            if call.reserved:
                self._budget.release(call.reserved)
            raise
        if not call.checked and not future.is_done:
            self._refusal = compat.KafkaPythonCompatError(
                f"kafka-python {compat.check_version()} queued a record without calling"
                f" KafkaProducer.{compat.RECORD_SIZE_HOOK}(), where BoundedProducer bounds memory:"
                " this producer cannot bound its buffer and refuses further sends"
            )
            raise self._refusal
        if call.reserved:
            release = functools.partial(self._release, call.reserved)  # one object for both outcomes
            future.add_callback(release)
            future.add_errback(release)
        return future

    def _ensure_valid_record_size(self, size: int) -> None:
        # kafka-python calls this once per record inside send(), after serializing and
        # partitioning it and right before appending it to a batch: the one point where the
        # record's size is known and nothing is queued yet. Reserve its bytes here.
        super()._ensure_valid_record_size(size)
        call = self._call
        call.checked = True
        if threading.current_thread() is compat.sender_thread(self):
            timeout_ms = 0.0
        else:
            timeout_ms = (call.deadline - time.monotonic()) * 1000
        self._budget.reserve(size, timeout_ms)
        call.reserved = size

    def _release(self, size: int, _outcome: object) -> None:
        self._budget.release(size)


def _watch_for_stuck_records(
    ref: weakref.ref[BoundedProducer], closing: threading.Event, limit_s: float
) -> None:
    """Every second (or a quarter of ``limit_s``), fail the producer's records if one has been
    unresolved for longer than ``limit_s``; ends when the producer closes or is collected."""
    while not closing.wait(min(1.0, limit_s / 4)):
        producer = ref()
        if producer is None:
            return
        age_s = compat.oldest_unresolved_batch_age(producer)
        if age_s > limit_s:
            producer._fail_stuck(age_s * 1000, producer.config["delivery_timeout_ms"])
        del producer
