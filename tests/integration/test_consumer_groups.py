"""User story: our assignors run real consumer groups on a real broker, alone and mixed with librdkafka.

Each member is a separate process (``group_worker.py``): kafka-python with the ``strategies``
adapter, or confluent-kafka (librdkafka's own assignors). After every membership change the
test waits until the group settles, then checks:

- every partition of the subscribed topics is owned by exactly one member;
- records produced after the change (keyed, several per partition) are all read, each by the
  member that owns its partition;
- for groups of our members only, the settled assignment is what the core assignor computes
  for the same subscriptions (the real member ids, owned partitions and generations);
- over the whole run, no partition was ever owned by two members at once (from the rebalance
  callbacks' timestamps on the machine-wide monotonic clock).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from strategies import (
    ClusterMetadata,
    MemberSubscription,
    RebalanceProtocol,
    TopicPartition,
    get_assignor,
    rebalance_rounds,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("group_worker.py")
QUIET_S = 1.5  # a settled group reports no change for this long
SETTLE_TIMEOUT_S = 60.0
READ_TIMEOUT_S = 30.0
RECORDS_PER_PARTITION = 4


@dataclass
class Member:
    """One worker process and every event it reported."""

    name: str
    client: str
    topics: tuple[str, ...]
    proc: subprocess.Popen[str]
    stderr: Path
    events: list[dict[str, Any]]
    alive: bool = True

    def last_state(self) -> dict[str, Any] | None:
        for event in reversed(self.events):
            if event["ev"] == "state":
                return event
        return None


@dataclass(frozen=True)
class Settled:
    """A settled group: who owns what, and what each member reported about itself."""

    assignment: dict[str, list[str]]
    member_ids: dict[str, str]
    generation: int
    leaders: list[str]
    protocols: dict[str, tuple[str, str | None]]


class LiveGroup:
    """Member processes of one consumer group, a producer, and the checks on them."""

    def __init__(self, bootstrap: str, tmp: Path) -> None:
        from kafka import KafkaProducer

        self.bootstrap, self.tmp = bootstrap, tmp
        self.group = f"cg-{uuid.uuid4().hex[:10]}"
        self.members: dict[str, Member] = {}
        self.lock = threading.Lock()
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
        self.step = 0

    # -- membership ------------------------------------------------------------------------
    def join(
        self, name: str, strategies: Sequence[str], topics: Sequence[str], client: str = "kafka-python"
    ) -> None:
        """Start member ``name`` (a new process) subscribed to ``topics``."""
        assert name not in self.members, f"member name {name} reused"
        cfg = {
            "client": client,
            "bootstrap": self.bootstrap,
            "group": self.group,
            "name": name,
            "topics": list(topics),
            "strategies": list(strategies),
            "stop": str(self.tmp / f"stop-{name}"),
        }
        stderr = self.tmp / f"{name}.stderr"
        with stderr.open("w") as err:
            proc = subprocess.Popen(
                [sys.executable, str(WORKER), json.dumps(cfg)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                bufsize=1,
            )
        member = Member(name, client, tuple(topics), proc, stderr, [])
        self.members[name] = member
        threading.Thread(target=self._read, args=(member,), daemon=True).start()

    def _read(self, member: Member) -> None:
        assert member.proc.stdout is not None
        for line in member.proc.stdout:
            with self.lock:
                member.events.append(json.loads(line))

    def leave(self, name: str) -> None:
        """Stop member ``name``; it must leave cleanly."""
        member = self.members[name]
        (self.tmp / f"stop-{name}").touch()
        rc = member.proc.wait(timeout=30)
        member.alive = False
        time.sleep(0.1)  # let the reader thread take the last lines
        assert rc == 0 and any(e["ev"] == "closed" for e in member.events), self.diagnose(name)

    def live(self) -> list[Member]:
        return [m for m in self.members.values() if m.alive]

    def close(self) -> None:
        """Stop every process still running (never hangs: kills after a grace period)."""
        for member in self.live():
            (self.tmp / f"stop-{member.name}").touch()
        for member in self.live():
            try:
                member.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                member.proc.kill()
                member.proc.wait(timeout=10)
            member.alive = False
        self.producer.close(timeout=10)
        with self.lock:  # kept next to each member's stderr for post-mortems
            for member in self.members.values():
                lines = (json.dumps(e) for e in member.events)
                (self.tmp / f"{member.name}.events.jsonl").write_text("\n".join(lines) + "\n")

    # -- observation -----------------------------------------------------------------------
    def diagnose(self, name: str) -> str:
        member = self.members[name]
        errors = [e["traceback"] for e in member.events if e["ev"] == "error"]
        tail = member.stderr.read_text(errors="replace").splitlines()[-20:]
        return (
            f"member {name} ({member.client}) rc={member.proc.poll()}; errors: {errors}; "
            f"stderr tail:\n" + "\n".join(tail)
        )

    def check_alive(self) -> None:
        for member in self.live():
            errors = [e for e in member.events if e["ev"] == "error"]
            assert member.proc.poll() is None and not errors, self.diagnose(member.name)

    def settle(self, partitions: set[str], after: int = -1) -> Settled:
        """Wait until the live members own ``partitions`` exactly once between them, every
        kafka-python member reports one generation newer than ``after``, and nothing changes
        for ``QUIET_S``. Fails (with every member's last state) after ``SETTLE_TIMEOUT_S``."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            self.check_alive()
            with self.lock:
                states = {m.name: m.last_state() for m in self.live()}
            snap = json.dumps(states, sort_keys=True, default=str)
            if snap != last:
                last, since = snap, time.monotonic()
            elif time.monotonic() - since >= QUIET_S and self._settled(states, partitions, after):
                return self._summary(states)  # type: ignore[arg-type]
            time.sleep(0.1)
        raise AssertionError(
            f"group did not settle in {SETTLE_TIMEOUT_S:.0f} s on {sorted(partitions)}"
            f" (generation > {after}); last states: {last}"
        )

    def _settled(self, states: dict[str, dict[str, Any] | None], partitions: set[str], after: int) -> bool:
        if any(s is None or not s["member_id"] for s in states.values()):
            return False
        kp_generations = {
            s["generation"] for n, s in states.items() if self.members[n].client == "kafka-python"
        }  # type: ignore[index]
        if len(kp_generations) > 1 or (kp_generations and min(kp_generations) <= after):
            return False
        owned = [tp for s in states.values() for tp in s["assignment"]]  # type: ignore[index]
        return len(owned) == len(set(owned)) and set(owned) == partitions

    def _summary(self, states: dict[str, dict[str, Any]]) -> Settled:
        kp = [s["generation"] for n, s in states.items() if self.members[n].client == "kafka-python"]
        return Settled(
            assignment={n: list(s["assignment"]) for n, s in sorted(states.items())},
            member_ids={n: s["member_id"] for n, s in states.items()},
            generation=max(kp, default=-1),
            leaders=sorted(n for n, s in states.items() if s["leader"]),
            protocols={n: (s["protocol"], s["rebalance"]) for n, s in states.items()},
        )

    def produce_and_read(self, settled: Settled, counts: dict[str, int]) -> int:
        """Produce ``RECORDS_PER_PARTITION`` keyed records to every partition of ``counts``;
        wait until all are read and check each was read by its partition's owner only.
        Returns the number of records produced."""
        self.step += 1
        expected: dict[str, str] = {}  # "topic:partition/key" -> owner
        owner_of = {tp: n for n, tps in settled.assignment.items() for tp in tps}
        for topic, n in counts.items():
            for p in range(n):
                for i in range(RECORDS_PER_PARTITION):
                    key = f"s{self.step}-{topic}-{p}-{i}"
                    self.producer.send(topic, key=key.encode(), value=b"v", partition=p)
                    expected[f"{topic}:{p}/{key}"] = owner_of[f"{topic}:{p}"]
        self.producer.flush(timeout=30)
        deadline = time.monotonic() + READ_TIMEOUT_S
        while True:
            readers = self._readers(expected)
            if set(readers) == set(expected):
                break
            self.check_alive()
            if time.monotonic() > deadline:
                missing = sorted(set(expected) - set(readers))
                raise AssertionError(
                    f"{len(missing)} of {len(expected)} records never read, "
                    f"e.g. {missing[:5]}; assignment {settled.assignment}"
                )
            time.sleep(0.1)
        wrong = {k: sorted(r) for k, r in readers.items() if r != {expected[k]}}
        assert not wrong, f"records read by members that do not own their partition: {wrong}"
        return len(expected)

    def _readers(self, expected: dict[str, str]) -> dict[str, set[str]]:
        readers: dict[str, set[str]] = {}
        with self.lock:
            for member in self.members.values():
                for event in member.events:
                    if event["ev"] == "read":
                        for key in event["keys"]:
                            if key in expected:
                                readers.setdefault(key, set()).add(member.name)
        return readers

    def warned_about(self, text: str) -> bool:
        """True if some member logged a ``strategies`` warning containing ``text``."""
        return any(
            "strategies WARNING" in line and text in line
            for m in self.members.values()
            for line in m.stderr.read_text(errors="replace").splitlines()
        )

    def callback_ownership(self) -> dict[str, list[str]]:
        """What each live member owns according to its rebalance callbacks alone."""
        owned: dict[str, set[str]] = {}
        with self.lock:
            for member in self.live():
                held = owned.setdefault(member.name, set())
                for event in member.events:
                    if event["ev"] == "own":
                        (held.update if event["op"] == "add" else held.difference_update)(event["tps"])
        return {n: sorted(tps) for n, tps in sorted(owned.items())}

    def assert_never_owned_twice(self) -> None:
        """From every member's add/remove callbacks: no partition had two owners at once."""
        with self.lock:
            events = sorted(
                (e["t"], m.name, e["op"], tp)
                for m in self.members.values()
                for e in m.events
                if e["ev"] == "own"
                for tp in e["tps"]
            )
        owners: dict[str, set[str]] = {}
        clashes = []
        for t, name, op, tp in events:
            held = owners.setdefault(tp, set())
            if op == "add":
                if held - {name}:
                    clashes.append((tp, sorted(held), name, round(t, 3)))
                held.add(name)
            else:
                held.discard(name)
        assert not clashes, f"partitions given to a member while another still owned them: {clashes[:10]}"


def parse_tp(name: str) -> TopicPartition:
    """``"topic:partition"`` -> :class:`TopicPartition`."""
    topic, _, partition = name.rpartition(":")
    return TopicPartition(topic, int(partition))


def all_partitions(counts: dict[str, int]) -> set[str]:
    return {f"{t}:{p}" for t, n in counts.items() for p in range(n)}


def assert_valid(settled: Settled, partitions: set[str], busy: Iterable[str] = ()) -> None:
    """Every partition owned exactly once; every member in ``busy`` owns something."""
    owned = [tp for tps in settled.assignment.values() for tp in tps]
    assert sorted(owned) == sorted(partitions), f"not each partition exactly once: {settled.assignment}"
    idle = [n for n in busy if not settled.assignment[n]]
    assert not idle, f"idle members {idle} although partitions >= members: {settled.assignment}"


def predict(
    strategy: str,
    subscriptions: dict[str, tuple[str, ...]],
    member_ids: dict[str, str],
    counts: dict[str, int],
    before: Settled | None,
) -> dict[str, list[str]]:
    """The core assignor's settled assignment for these members, built from what each
    kafka-python member sends: topics, owned partitions (COOPERATIVE only), generation and the
    assignor's user data; cooperative rounds (the one driver, strategies.rounds) run until
    nobody revokes."""
    core = get_assignor(strategy)
    cooperative = core.protocols[0] is RebalanceProtocol.COOPERATIVE
    cluster = ClusterMetadata(counts)
    held = {
        n: tuple(parse_tp(tp) for tp in (before.assignment.get(n, []) if before else []))
        for n in subscriptions
    }
    generation = {n: before.generation if before and n in before.assignment else -1 for n in subscriptions}
    group = {
        member_ids[n]: MemberSubscription(
            member_id=member_ids[n],
            topics=frozenset(subscriptions[n]),
            owned_partitions=held[n] if cooperative else (),
            generation=generation[n],
            user_data=core.encode_user_data(held[n], generation[n]),
        )
        for n in subscriptions
    }
    if cooperative:
        result = rebalance_rounds(core, group, cluster, max(generation.values()) + 1)[-1].owned
    else:
        result = core.assign(group, cluster).owned
    held = {n: tuple(result[member_ids[n]]) for n in subscriptions}
    return {n: sorted(f"{tp.topic}:{tp.partition}" for tp in held[n]) for n in sorted(subscriptions)}


def run_steps(
    live: LiveGroup,
    steps: Sequence[Callable[[], None]],
    partitions: Callable[[], set[str]],
    check: Callable[[int, Settled | None, Settled], None],
    counts: Callable[[], dict[str, int]],
) -> Settled:
    """Apply each step, settle, produce and read, and run ``check(step, before, after)``."""
    before: Settled | None = None
    for k, step in enumerate(steps):
        step()
        after = live.settle(partitions(), after=before.generation if before else -1)
        assert live.callback_ownership() == after.assignment, "callbacks disagree with assignment()"
        check(k, before, after)
        live.produce_and_read(after, counts())
        before = after
    assert before is not None
    return before


# -- 1. one strategy, kafka-python members only ------------------------------------------------
@pytest.mark.parametrize("strategy", ["range", "roundrobin", "sticky", "cooperative-sticky"])
def test_group_of_our_members_settles_on_the_core_prediction_and_reads_everything(
    strategy: str, kafka_bootstrap: str, make_topic: Any, tmp_path: Path
) -> None:
    counts = {make_topic(5): 5, make_topic(3): 3}
    topics = tuple(sorted(counts))
    live = LiveGroup(kafka_bootstrap, tmp_path)
    history: list[str] = []

    def join(name: str) -> Callable[[], None]:
        return lambda: (history.append(f"{name} joins"), live.join(name, [strategy], topics))

    def leave(name: str) -> Callable[[], None]:
        return lambda: (history.append(f"{name} leaves"), live.leave(name))

    def check(k: int, before: Settled | None, after: Settled) -> None:
        members = [m.name for m in live.live()]
        assert_valid(after, all_partitions(counts), busy=members)
        subs = {n: topics for n in members}
        expected = predict(strategy, subs, after.member_ids, counts, before)
        assert after.assignment == expected, f"after {history}: member ids {after.member_ids}"
        assert after.leaders and len(after.leaders) == 1, f"leaders {after.leaders}"
        rebalance = "COOPERATIVE" if strategy == "cooperative-sticky" else "EAGER"
        assert set(after.protocols.values()) == {(strategy, rebalance)}, after.protocols

    try:
        run_steps(
            live,
            [join("m0"), join("m1"), join("m2"), leave("m1")],
            lambda: all_partitions(counts),
            check,
            lambda: counts,
        )
        live.assert_never_owned_twice()
    finally:
        live.close()


# -- 2. mixed groups: our kafka-python members with librdkafka members ------------------------
@pytest.mark.parametrize("strategy", ["range", "roundrobin", "cooperative-sticky"])
def test_mixed_group_with_librdkafka_is_valid_whichever_member_leads(
    strategy: str, kafka_bootstrap: str, make_topic: Any, tmp_path: Path
) -> None:
    counts = {make_topic(4): 4, make_topic(3): 3}
    topics = tuple(sorted(counts))
    live = LiveGroup(kafka_bootstrap, tmp_path)
    led_by: list[str] = []

    def join(name: str, client: str) -> Callable[[], None]:
        return lambda: live.join(name, [strategy], topics, client=client)

    def check(k: int, before: Settled | None, after: Settled) -> None:
        members = [m.name for m in live.live()]
        assert_valid(after, all_partitions(counts), busy=members)
        sizes = [len(tps) for tps in after.assignment.values()]
        assert max(sizes) - min(sizes) <= 1, f"unbalanced with identical subscriptions: {after.assignment}"
        ours = [n for n in members if live.members[n].client == "kafka-python"]
        # librdkafka does not say whether it leads: it does when none of ours reports leading
        led_by.append(after.leaders[0] if after.leaders else "librdkafka")
        assert len(after.leaders) <= 1 and set(after.leaders) <= set(ours), after.leaders
        rebalance = "COOPERATIVE" if strategy == "cooperative-sticky" else "EAGER"
        assert {after.protocols[n] for n in ours} <= {(strategy, rebalance)}, after.protocols
        if strategy != "cooperative-sticky":  # deterministic: the core's answer, whoever leads
            subs = {n: topics for n in members}
            expected = predict(strategy, subs, after.member_ids, counts, before)
            assert after.assignment == expected, f"led by {led_by[-1]}; member ids {after.member_ids}"

    try:
        # c0 (librdkafka) forms the group and leads while k0, k1 join; once it leaves only our
        # members remain, so one of them leads when c1 (librdkafka) joins.
        run_steps(
            live,
            [
                join("c0", "confluent"),
                join("k0", "kafka-python"),
                join("k1", "kafka-python"),
                lambda: live.leave("c0"),
                join("c1", "confluent"),
            ],
            lambda: all_partitions(counts),
            check,
            lambda: counts,
        )
        assert led_by[1:3] == ["librdkafka", "librdkafka"], led_by
        assert led_by[3] in ("k0", "k1") and led_by[4] == led_by[3], led_by
        live.assert_never_owned_twice()
    finally:
        live.close()


# -- 3. rolling upgrade from range (EAGER) to cooperative-sticky (COOPERATIVE) ------------------
def test_rolling_upgrade_to_cooperative_never_gives_a_partition_two_owners(
    kafka_bootstrap: str, make_topic: Any, tmp_path: Path
) -> None:
    counts = {make_topic(6): 6}
    topics = tuple(counts)
    live = LiveGroup(kafka_bootstrap, tmp_path)
    both, coop, old = ["cooperative-sticky", "range"], ["cooperative-sticky"], ["range"]
    # (what to restart, with which strategies) -> the group protocol and each member's mode
    plan: list[tuple[dict[str, list[str]], str, dict[str, str]]] = [
        ({"u0": both, "u1": both, "u2": old}, "range", {"u0": "EAGER", "u1": "EAGER", "u2": "EAGER"}),
        ({"u2": both}, "cooperative-sticky", {"u0": "EAGER", "u1": "EAGER", "u2": "EAGER"}),
        ({"u0": coop}, "cooperative-sticky", {"u0": "COOPERATIVE", "u1": "EAGER", "u2": "EAGER"}),
        ({"u1": coop, "u2": coop}, "cooperative-sticky", dict.fromkeys(("u0", "u1", "u2"), "COOPERATIVE")),
    ]
    incarnation = {"u0": 0, "u1": 0, "u2": 0}
    current: dict[str, str] = {}  # role -> live member name

    def restart(changes: dict[str, list[str]]) -> Callable[[], None]:
        def step() -> None:
            for role, strategies in changes.items():
                if role in current:
                    live.leave(current[role])
                incarnation[role] += 1
                current[role] = f"{role}v{incarnation[role]}"
                live.join(current[role], strategies, topics)

        return step

    def check(k: int, before: Settled | None, after: Settled) -> None:
        assert_valid(after, all_partitions(counts), busy=current.values())
        _, protocol, modes = plan[k]
        observed = {role: after.protocols[name] for role, name in current.items()}
        assert observed == {role: (protocol, mode) for role, mode in modes.items()}, after.protocols

    try:
        run_steps(
            live,
            [restart(changes) for changes, _, _ in plan],
            lambda: all_partitions(counts),
            check,
            lambda: counts,
        )
        live.assert_never_owned_twice()
    finally:
        live.close()


# -- 4. bad input on the live path ---------------------------------------------------------------
@pytest.mark.parametrize("strategy", ["roundrobin", "cooperative-sticky"])
def test_member_subscribed_to_a_missing_topic_gets_a_valid_assignment(
    strategy: str, kafka_bootstrap: str, make_topic: Any, tmp_path: Path
) -> None:
    topic = make_topic(4)
    missing = f"no-such-topic-{uuid.uuid4().hex[:8]}"
    counts = {topic: 4}
    subscriptions = {"b0": (topic,), "b1": (missing, topic), "b2": (missing,)}
    live = LiveGroup(kafka_bootstrap, tmp_path)

    def check(k: int, before: Settled | None, after: Settled) -> None:
        members = [m.name for m in live.live()]
        assert_valid(after, all_partitions(counts), busy=[n for n in members if n != "b2"])
        subs = {n: subscriptions[n] for n in members}
        assert after.assignment == predict(strategy, subs, after.member_ids, counts, before)

    try:
        run_steps(
            live,
            [lambda n=n: live.join(n, [strategy], subscriptions[n]) for n in subscriptions],
            lambda: all_partitions(counts),
            check,
            lambda: counts,
        )
        live.assert_never_owned_twice()
        assert live.warned_about(f"'{missing}'"), "the leader did not log the unknown topic"
    finally:
        live.close()


def test_topic_deleted_while_the_group_runs_leaves_a_valid_assignment(
    kafka_bootstrap: str, make_topic: Any, tmp_path: Path
) -> None:
    from kafka import KafkaAdminClient

    strategy = "cooperative-sticky"
    kept, doomed = make_topic(4), make_topic(3)
    counts = {kept: 4, doomed: 3}
    topics = (kept, doomed)
    live = LiveGroup(kafka_bootstrap, tmp_path)

    def delete() -> None:
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, request_timeout_ms=30_000)
        try:
            admin.delete_topics([doomed])
        finally:
            admin.close()
        del counts[doomed]

    def check(k: int, before: Settled | None, after: Settled) -> None:
        members = [m.name for m in live.live()]
        assert_valid(after, all_partitions(counts), busy=members)
        # after the deletion members still subscribe to the topic and claim its partitions
        subs = dict.fromkeys(members, topics)
        assert after.assignment == predict(strategy, subs, after.member_ids, counts, before)

    try:
        run_steps(
            live,
            [lambda n=n: live.join(n, [strategy], topics) for n in ("d0", "d1", "d2")] + [delete],
            lambda: all_partitions(counts),
            check,
            lambda: dict(counts),
        )
        live.assert_never_owned_twice()
        assert live.warned_about(f"'{doomed}'"), "the leader did not log the deleted topic"
    finally:
        live.close()
