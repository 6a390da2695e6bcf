"""A guided tour: keys -> partitions and why, then a consumer group rebalancing, eager vs cooperative.

    python examples/tour.py

1. **the broker**: ``--bootstrap``, else ``$KAFKA_BOOTSTRAP``, else the broker ``kpart broker
   start`` recorded. If none answers, the tour starts a throw-away broker of its own (about
   15 s) and stops it at the end.
2. **keys -> partitions**: six keys go to a new 6-partition topic through the ``murmur2``
   partitioner. For each key the tour prints the hash, the sign bit cleared (``& 0x7fffffff``)
   and the remainder ``% 6``: the partition, as Java's producer computes it, next to the
   partition the broker acknowledged.
3. **three consumers share 6 partitions**, in two groups side by side: ``sticky`` (eager
   protocol) and ``cooperative-sticky`` (cooperative protocol). Each member gets 2.
4. **one member leaves** each group and its partitions move to the two others. Under eager
   every member first gives up everything, even the partitions it gets straight back; under
   cooperative only the leaver's partitions move and the others never stop reading.
5. **clean-up**: consumers closed, the topic deleted, a broker the tour started stopped. The
   same happens on Ctrl-C or SIGTERM, within a second or two: nothing is left running.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

import partitioning
from kpart.broker import BrokerError, LocalCluster, reachable_bootstrap
from partitioning.hashing import murmur2, signed32, to_positive
from strategies.kafka_python import KafkaPythonAssignor, attach

PARTITIONS = 6
KEYS = ["user-1", "user-2", "user-3", "user-4", "user-5", "user-6"]
GROUPS = {"eager": "sticky", "cooperative": "cooperative-sticky"}
SETTLE_TIMEOUT_S = 60.0


def step(number: int, title: str) -> None:
    print(f"\n== step {number}/5: {title}", flush=True)


# ---- step 1: a broker -------------------------------------------------------------------------


@contextmanager
def a_broker(given: str | None) -> Iterator[str]:
    """The broker to tour on: one that answers already, else a throw-away one stopped on exit."""
    try:
        bootstrap, source = reachable_bootstrap(given)
    except BrokerError as exc:
        if given:
            raise
        print(f"{exc}.\nstarting a throw-away broker for this tour (about 15 s; stopped at the end)",
              flush=True)
        bootstrap = ""
    if bootstrap:
        print(f"broker {bootstrap} ({source})")
        yield bootstrap
        return
    with tempfile.TemporaryDirectory(prefix="kpart-tour-") as directory:
        cluster = LocalCluster.on_free_ports(Path(directory), nodes=1, tied_to_parent=True)
        try:
            cluster.start()
            print(f"broker {cluster.bootstrap} (started by the tour)")
            yield cluster.bootstrap
        finally:
            cluster.stop(timeout=5)
            print("stopped the tour's broker")


@contextmanager
def a_topic(bootstrap: str) -> Iterator[str]:
    name = f"tour-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kpart-tour")
    try:
        admin.create_topics([NewTopic(name, PARTITIONS, 1)])
        print(f"created topic {name} with {PARTITIONS} partitions")
        yield name
    finally:
        try:
            admin.delete_topics([name])
            print(f"deleted topic {name}")
        finally:
            admin.close()


# ---- step 2: keys -> partitions ---------------------------------------------------------------


def keys_to_partitions(bootstrap: str, topic: str) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap,
                             partitioner=partitioning.kafka_python.create("murmur2"), acks="all")
    print(f"{'key':<8} {'murmur2(key)':>13} {'& 0x7fffffff':>13} {'% 6':>4}   broker acknowledged")
    try:
        for key in KEYS:
            h = murmur2(key.encode())
            expected = to_positive(h) % PARTITIONS
            landed = producer.send(topic, key=key.encode(), value=b"hello").get(timeout=30).partition
            same = "same" if landed == expected else "DIFFERENT"
            print(f"{key:<8} {signed32(h):>13} {to_positive(h):>13} {expected:>4}   "
                  f"partition {landed} ({same})")
    finally:
        producer.close(timeout=2)
    print("murmur2 is Java's default key hash: the same key always lands on the same partition, in any\n"
          "client using it, as long as the topic keeps 6 partitions (add one and most keys move).")


# ---- steps 3 and 4: a group, eager vs cooperative ---------------------------------------------


@dataclass
class Member:
    """One consumer polling in its own thread; it records every rebalance callback."""

    protocol: str
    name: str
    owned: set[int] = field(default_factory=set)
    log: list[tuple[float, str, list[int]]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    error: BaseException | None = None

    def start(self, bootstrap: str, topic: str, group: str) -> None:
        self.thread = threading.Thread(target=self._run, args=(bootstrap, topic, group), daemon=True,
                                       name=f"{self.protocol}-{self.name}")
        self.thread.start()

    def _run(self, bootstrap: str, topic: str, group: str) -> None:
        member = self

        class Listener(ConsumerRebalanceListener):
            def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
                member._record("revoked", revoked)

            def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
                member._record("assigned", assigned)

        try:
            consumer = attach(KafkaConsumer(
                bootstrap_servers=bootstrap, group_id=group, client_id=f"tour-{self.name}",
                partition_assignment_strategy=[KafkaPythonAssignor(GROUPS[self.protocol])],
                session_timeout_ms=10_000, heartbeat_interval_ms=500, enable_auto_commit=False,
            ))
        except BaseException as exc:  # reported by the main thread
            self.error = exc
            return
        try:
            consumer.subscribe([topic], listener=Listener())
            while not self.stop.is_set():
                consumer.poll(timeout_ms=200)
        except BaseException as exc:
            self.error = exc
        finally:
            consumer.close(autocommit=False, timeout_ms=2000)  # LeaveGroup: the others rebalance at once

    def _record(self, what: str, partitions: Collection[TopicPartition]) -> None:
        numbers = sorted(tp.partition for tp in partitions)
        self.owned = self.owned - set(numbers) if what == "revoked" else self.owned | set(numbers)
        self.log.append((time.monotonic(), what, numbers))

    def leave(self, timeout: float = 5.0) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout)


def settled(members: list[Member]) -> bool:
    owned = [p for m in members for p in m.owned]
    sizes = [len(m.owned) for m in members]
    return sorted(owned) == list(range(PARTITIONS)) and max(sizes) - min(sizes) <= 1


def wait_until(condition: Callable[[], bool], members: list[Member], what: str) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while not condition():
        failed = next((m for m in members if m.error is not None), None)
        if failed is not None:
            raise RuntimeError(f"consumer {failed.name} failed: {failed.error}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {SETTLE_TIMEOUT_S:.0f} s")
        time.sleep(0.1)


def show(groups: dict[str, list[Member]]) -> None:
    for protocol, members in groups.items():
        owners = "  ".join(f"{m.name} {sorted(m.owned)}" for m in members)
        print(f"  {protocol:<12} ({GROUPS[protocol]}): {owners}")


@contextmanager
def groups_of_three(bootstrap: str, topic: str) -> Iterator[dict[str, list[Member]]]:
    groups = {p: [Member(p, f"c{i}") for i in (1, 2, 3)] for p in GROUPS}
    try:
        for protocol, members in groups.items():
            for m in members:
                m.start(bootstrap, topic, f"{topic}-{protocol}")
        yield groups
    finally:
        everyone = [m for ms in groups.values() for m in ms]
        for m in everyone:
            m.stop.set()
        for m in everyone:
            m.leave(timeout=3.0)
        running = [m.name for m in everyone if m.thread is not None and m.thread.is_alive()]
        print("closed every consumer" if not running else f"consumers still closing: {running}")


def share_and_leave(groups: dict[str, list[Member]]) -> None:
    everyone = [m for ms in groups.values() for m in ms]
    wait_until(lambda: all(settled(ms) for ms in groups.values()), everyone, "the groups forming")
    print("each group's 6 partitions, 2 per member:")
    show(groups)

    step(4, "c3 leaves each group: its partitions move")
    left = time.monotonic()
    survivors: dict[str, list[Member]] = {}
    for protocol, members in groups.items():
        for m in members[:2]:
            m.log.clear()
        members[2].leave()
        survivors[protocol] = members[:2]
    wait_until(lambda: all(settled(ms) for ms in survivors.values()), everyone, "the rebalance")
    time.sleep(1.0)  # let a cooperative group's follow-up round, if any, report
    for protocol, members in survivors.items():
        print(f"  {protocol} ({GROUPS[protocol]}):")
        for m in members:
            for at, what, numbers in m.log:
                print(f"    +{at - left:4.1f} s  {m.name} {what:<8} {numbers}")
    print("after the rebalance:")
    show(survivors)
    for protocol, members in survivors.items():
        revoked = [{p for _, what, n in m.log if what == "revoked" for p in n} for m in members]
        kept = sum(len(r & m.owned) for r, m in zip(revoked, members, strict=True))
        print(f"  {protocol}: {kept} partition(s) taken from members that got them straight back")
    print("eager stops the whole group at every rebalance; cooperative moves only what must move\n"
          "(`kpart compare` counts this as 'partitions revoked' and 'unowned partition-seconds').")


# ---- the tour ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="broker host:port (default: the local broker, else one "
                        "the tour starts and stops)")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        step(1, "a broker")
        bootstrap = stack.enter_context(a_broker(args.bootstrap))
        topic = stack.enter_context(a_topic(bootstrap))
        step(2, "keys -> partitions, and why")
        keys_to_partitions(bootstrap, topic)
        step(3, "three consumers share 6 partitions, eager and cooperative side by side")
        groups = stack.enter_context(groups_of_three(bootstrap, topic))
        share_and_leave(groups)
        step(5, "clean-up")
    print("nothing left running. Next: `kpart compare` simulates this for many strategies and events.")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM cleans up like Ctrl-C
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: cleaned up, nothing left running", file=sys.stderr)
        sys.exit(130)
    except (BrokerError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
