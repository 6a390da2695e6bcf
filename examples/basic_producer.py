"""Send records synchronously and asynchronously, then watch a bounded buffer push back.

    python examples/basic_producer.py --topic basic-producer --records 2000

Without ``--bootstrap`` it finds the local broker as ``partition_producer.py`` does, and takes
``--client-config FILE`` as it does; Ctrl-C or SIGTERM stops it within a second or two.

1. **sync**: ``send(...).get()`` waits for each record's acknowledgement: safe and slow.
2. **async**: ``send(...)`` returns at once; callbacks and errbacks count the outcomes and one
   ``flush()`` waits for the rest: the same records, many times faster.
3. **stall**: a producer that outpaces its broker must not grow without limit. kafka-python 3.x
   dropped ``buffer_memory``; ``BoundedProducer`` brings it back. Here it gets a tiny buffer
   (64 KiB) and reaches the broker through a relay started by this script (kafka-python's
   ``proxy_url``, so every broker connection passes through it). Once the producer is warm, the
   relay is frozen: it stops passing bytes, as a hung broker or a broken network path would.
   The broker really receives nothing, the buffered bytes climb to ``buffer_memory``, and the
   next ``send()`` blocks ``max_block_ms`` then raises ``BufferExhaustedError``. The relay then
   thaws and ``flush()`` shows every accepted record acknowledged or reported failed.

A frozen relay is used rather than a socket that never answers: with no answer at all the
producer never learns the topic's partitions, and ``send()`` fails waiting for metadata before
buffering anything. A large ``linger_ms`` would only show the producer holding records back.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import threading
import time
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from kpart.broker import BrokerError
from partitioning.producer import BoundedProducer, BufferExhaustedError


class Outcomes:
    """Delivery callbacks: count acknowledged and failed records."""

    def __init__(self) -> None:
        self.acknowledged = 0
        self.failed = 0
        self._lock = threading.Lock()

    def on_ack(self, metadata: object) -> None:
        with self._lock:
            self.acknowledged += 1

    def on_error(self, exc: BaseException) -> None:
        with self._lock:
            self.failed += 1


def send_sync(producer: BoundedProducer, topic: str, records: int) -> Outcomes:
    outcomes = Outcomes()
    for i in range(records):
        try:
            outcomes.on_ack(producer.send(topic, f"sync-{i}".encode()).get(timeout=30))
        except Exception as exc:
            outcomes.on_error(exc)
    return outcomes


def send_async(producer: BoundedProducer, topic: str, records: int) -> Outcomes:
    outcomes = Outcomes()
    for i in range(records):
        future = producer.send(topic, f"async-{i}".encode())
        future.add_callback(outcomes.on_ack).add_errback(outcomes.on_error)
    producer.flush()
    return outcomes


def report(mode: str, records: int, seconds: float, outcomes: Outcomes) -> None:
    print(
        f"{mode}: {records:,} records in {seconds:.2f} s = {records / seconds:,.0f} records/s"
        f" (acknowledged {outcomes.acknowledged:,}, failed {outcomes.failed:,})"
    )


def demonstrate_stall(bootstrap: str, topic: str, security: dict) -> None:
    relay = FreezableRelay()
    producer = BoundedProducer(
        bootstrap_servers=bootstrap,
        **security,
        proxy_url=f"http://127.0.0.1:{relay.port}",
        buffer_memory=64 * 1024,
        max_block_ms=1000,
    )
    try:
        producer.send(topic, b"warm-up").get(timeout=30)  # metadata and connections are ready
        relay.freeze()
        outcomes, accepted, error = Outcomes(), 0, None
        while error is None:
            started = time.monotonic()
            try:
                future = producer.send(topic, b"x" * 1024)
            except BufferExhaustedError as exc:
                error, blocked = exc, time.monotonic() - started
            else:
                future.add_callback(outcomes.on_ack).add_errback(outcomes.on_error)
                accepted += 1
        print(
            f"stall: relay frozen; {accepted} records accepted, {producer.buffered_bytes:,} bytes"
            f" buffered of buffer_memory={producer.buffer_memory:,}"
        )
        print(f"stall: send blocked {blocked:.2f} s (max_block_ms=1000), then raised {error}")
        relay.thaw()
        producer.flush(timeout=60)
        print(
            f"stall: relay thawed; of {accepted} accepted records: acknowledged"
            f" {outcomes.acknowledged}, failed {outcomes.failed}; peak buffered"
            f" {producer.peak_buffered_bytes:,} bytes"
        )
    finally:
        relay.thaw()
        producer.close(timeout=10)
        relay.close()


class FreezableRelay:
    """A minimal HTTP CONNECT proxy on 127.0.0.1 that can stop passing bytes on demand."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = client.recv(4096)
            if not chunk:
                return
            request += chunk
        host, _, port = request.split()[1].decode().rpartition(":")  # CONNECT host:port HTTP/1.1
        broker = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=self._pump, args=(broker, client), daemon=True).start()
        self._pump(client, broker)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                self._flowing.wait()
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            source.close()
            target.close()


def ensure_topic(bootstrap: str, topic: str, security: dict) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, bootstrap_timeout_ms=10_000, **security)
    try:
        admin.create_topics([NewTopic(topic, 3, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="broker host:port (default: the local broker)")
    parser.add_argument("--topic", default="basic-producer", help="created (3 partitions) if missing")
    parser.add_argument("--records", type=int, default=2000, help="records per mode")
    parser.add_argument("--client-config", type=Path, metavar="FILE", help="client security settings")
    args = parser.parse_args(argv)
    if args.records < 1:
        parser.error("--records must be at least 1")
    from kpart.client_access import AccessError, connect  # here: SIGTERM is handled from the start

    try:
        bootstrap, _, security = connect(args.bootstrap, args.client_config, "kafka-python")
        ensure_topic(bootstrap, args.topic, security)
    except AccessError as exc:
        parser.exit(2, f"error: {exc}\n")
    except (BrokerError, KafkaError) as exc:
        parser.exit(1, f"error: {exc}\n")
    with BoundedProducer(bootstrap_servers=bootstrap, **security) as producer:
        for mode, send in (("sync", send_sync), ("async", send_async)):
            how = "one at a time, each send waiting for its acknowledgement" if mode == "sync" else \
                "without waiting, acknowledgements counted by callbacks, then flush()"
            print(f"{mode}: sending {args.records:,} records to {args.topic!r} {how}")
            started = time.monotonic()
            outcomes = send(producer, args.topic, args.records)
            report(mode, args.records, time.monotonic() - started, outcomes)
    demonstrate_stall(bootstrap, args.topic, security)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM ends it like Ctrl-C
    try:
        main()
    except KeyboardInterrupt:
        os._exit(130)  # producers may be blocked on a frozen relay: do not wait for them
