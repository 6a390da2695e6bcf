"""A kafka-python producer whose buffer of unsent records is bounded in bytes.

kafka-python 3.x dropped ``buffer_memory`` and its buffer pool, so a ``KafkaProducer`` that
outpaces the broker keeps accepting records and grows without limit. ``BoundedProducer`` brings
the Java client's semantics back:

- the serialized records that are waiting to be sent or acknowledged never take more than
  ``buffer_memory`` bytes (default 32 MiB);
- when a record does not fit, ``send()`` blocks until enough earlier records are acknowledged
  or fail, at most ``max_block_ms`` (default 60 s), then raises ``BufferExhaustedError``;
- a record larger than ``buffer_memory`` itself fails at once with ``MessageSizeTooLargeError``;
- blocked senders are served first come, first served, so a large record is not starved by a
  stream of small ones.

Usage::

    from partitioning.producer import BoundedProducer, BufferExhaustedError

    producer = BoundedProducer(bootstrap_servers="127.0.0.1:9092", buffer_memory=8 << 20)
    try:
        producer.send("events", b"payload").add_errback(print)
    except BufferExhaustedError as exc:
        ...  # the broker has not kept up for max_block_ms: back off, shed load or fail
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from kafka.producer.future import FutureRecordMetadata
from kafka.record.default_records import DefaultRecordBatchBuilder
from kafka.serializer import Serializer

__all__ = [
    "DEFAULT_BUFFER_MEMORY",
    "BoundedProducer",
    "BufferExhaustedError",
    "ByteBudget",
    "record_size",
]

DEFAULT_BUFFER_MEMORY = 32 * 1024 * 1024

Headers = list[tuple[str, bytes]]


class BufferExhaustedError(KafkaTimeoutError):
    """No room for a record in ``buffer_memory`` within ``max_block_ms``.

    A ``KafkaTimeoutError`` (as in the Java client), so code that already handles send timeouts
    handles this too. ``limit``, ``requested`` and ``buffered`` are in bytes; ``buffered`` is what
    was waiting to be sent when the wait gave up.
    """

    def __init__(self, limit: int, requested: int, buffered: int, max_block_ms: float) -> None:
        super().__init__(
            f"no room for a {requested:,}-byte record within max_block_ms={max_block_ms:g}: "
            f"{buffered:,} of buffer_memory={limit:,} bytes are waiting to be sent "
            "(the broker is not keeping up; raise buffer_memory or max_block_ms, or slow down)"
        )
        self.limit = limit
        self.requested = requested
        self.buffered = buffered
        self.max_block_ms = max_block_ms


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
        self._changed = threading.Condition()

    @property
    def used(self) -> int:
        return self._used

    @property
    def peak(self) -> int:
        return self._peak

    def reserve(self, size: int, max_block_ms: float) -> None:
        """Take ``size`` bytes, waiting up to ``max_block_ms``; raise ``BufferExhaustedError``.

        A request larger than ``limit`` can never fit and raises ``MessageSizeTooLargeError``.
        """
        if size > self.limit:
            raise MessageSizeTooLargeError(
                f"the record is {size:,} bytes when serialized, larger than "
                f"buffer_memory={self.limit:,} bytes: it can never be buffered"
            )
        with self._changed:
            if not self._waiting and self._used + size <= self.limit:
                self._take(size)
                return
            turn = object()
            self._waiting.append(turn)
            deadline = time.monotonic() + max(max_block_ms, 0) / 1000
            try:
                while self._waiting[0] is not turn or self._used + size > self.limit:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise BufferExhaustedError(self.limit, size, self._used, max_block_ms)
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
            self._changed.notify_all()

    def _take(self, size: int) -> None:
        self._used += size
        self._peak = max(self._peak, self._used)


def record_size(key: bytes | None, value: bytes | None, headers: Headers) -> int:
    """Upper bound of the bytes a serialized record takes in a batch.

    The same estimate kafka-python checks ``max_request_size`` against (record format v2,
    including one batch header), so a record that fits one limit is measured alike for both.
    """
    return DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)


def _serializer_fn(serializer: Any, name: str) -> Callable[[str, Headers, Any], Any]:
    if serializer is None:
        return lambda topic, headers, data: data
    if isinstance(serializer, Serializer):
        return serializer.serialize
    if callable(serializer):
        return lambda topic, headers, data: serializer(data)
    raise TypeError(f"{name} must be a kafka.serializer.Serializer or a callable, got {serializer!r}")


class BoundedProducer(KafkaProducer):
    """``KafkaProducer`` with ``buffer_memory``: the bytes awaiting the broker are bounded.

    Takes every ``KafkaProducer`` setting plus ``buffer_memory`` (bytes, default 32 MiB).
    Guarantees:

    - ``buffered_bytes`` (the ``record_size`` of every record sent but not yet acknowledged or
      failed) never exceeds ``buffer_memory``. Python object overhead per record is not counted.
    - ``send()`` blocks at most ``max_block_ms`` for room, then raises ``BufferExhaustedError``;
      nothing is queued in that case. (Waiting for a new topic's metadata is bounded separately,
      by the same setting, as in ``KafkaProducer``.) Called from a delivery callback, ``send()``
      never waits for room, since that thread is the one that frees it.
    - A record's bytes are released when its future completes, successfully or not, before any
      callback the caller adds runs. Every record ``send()`` accepts ends acknowledged or failed
      through its future; ``flush()`` and ``close()`` behave as in ``KafkaProducer``.

    Serializers run inside ``send()`` (to measure the record), so a custom partitioner receives
    the serialized key and value in both its raw and serialized arguments.
    """

    def __init__(self, *, buffer_memory: int = DEFAULT_BUFFER_MEMORY, **configs: Any) -> None:
        self._serializers = [configs.pop("key_serializer", None), configs.pop("value_serializer", None)]
        self._budget = ByteBudget(buffer_memory)
        self._serialize_key = _serializer_fn(self._serializers[0], "key_serializer")
        self._serialize_value = _serializer_fn(self._serializers[1], "value_serializer")
        super().__init__(**configs)

    def close(self, timeout: float | None = None, null_logger: bool = False) -> None:
        """Flush and close as ``KafkaProducer.close`` does, then close the serializers."""
        if hasattr(self, "config"):  # absent only if __init__ failed before KafkaProducer's ran
            super().close(timeout=timeout, null_logger=null_logger)
        while self._serializers:
            serializer = self._serializers.pop()
            if isinstance(serializer, Serializer):
                serializer.close()

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
        headers: Headers | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> FutureRecordMetadata:
        """Queue a record as ``KafkaProducer.send`` does, once it fits in ``buffer_memory``.

        Raises ``BufferExhaustedError`` if it does not fit within ``max_block_ms``, and
        ``MessageSizeTooLargeError`` if it is larger than ``buffer_memory``.
        """
        headers = [] if headers is None else headers
        if not isinstance(headers, list) or not all(
            isinstance(h, tuple) and len(h) == 2 and isinstance(h[0], str) and isinstance(h[1], bytes)
            for h in headers
        ):
            raise TypeError(f"headers must be a list of (str, bytes) tuples, got {headers!r}")
        key_bytes = self._serialize_key(topic, headers, key)
        value_bytes = self._serialize_value(topic, headers, value)
        for name, data in (("key", key_bytes), ("value", value_bytes)):
            if data is not None and not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError(f"serialized {name} must be bytes or None, got {type(data).__name__}")
        size = record_size(key_bytes, value_bytes, headers)
        on_sender_thread = threading.current_thread() is getattr(self, "_sender", None)
        self._budget.reserve(size, 0 if on_sender_thread else self.config["max_block_ms"])
        try:
            future = super().send(
                topic,
                value=value_bytes,
                key=key_bytes,
                headers=headers,
                partition=partition,
                timestamp_ms=timestamp_ms,
            )
        except BaseException:
            self._budget.release(size)
            raise
        future.add_both(self._release, size)
        return future

    def _release(self, size: int, _outcome: object) -> None:
        self._budget.release(size)
