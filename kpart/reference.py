"""Apache Kafka's own assignors, run in one long-lived JVM, for differential tests and benchmarks.

Usage: ``with JavaReference() as java: java.assign("sticky", group, cluster)``.

``JavaReference`` builds ``broker/reference`` with Maven on first use (the jars of the broker
version in ``broker/pom.xml``: the Java client's ``range``, ``roundrobin``, ``sticky``,
``cooperative-sticky`` and the broker's KIP-848 ``uniform`` and ``range``), starts one JVM and
exchanges one JSON line per request, so hundreds of rebalances cost one JVM start. Inputs use the
core types of :mod:`strategies.core`; how each assignor is fed (user data, owned partitions,
the broker's previous target) is described in ``ReferenceAssignors.java``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from kpart.broker import BrokerError, _die_with_parent, java_executable
from strategies.core import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    RebalanceProtocol,
    TopicPartition,
)

REFERENCE_PROJECT = Path(__file__).resolve().parent.parent / "broker" / "reference"
MAIN_CLASS = "kpart.reference.ReferenceAssignors"
SOAK_CONSUMER_CLASS = "kpart.reference.SoakConsumer"
"""A Java soak member (see ``SoakConsumer.java``), run by :mod:`kpart.soak.runner`."""
SOURCE = REFERENCE_PROJECT / "src" / "main" / "java" / "kpart" / "reference" / "ReferenceAssignors.java"
COMPILED = REFERENCE_PROJECT / "target" / "classes" / "kpart" / "reference" / "ReferenceAssignors.class"

#: Our names -> the harness's names, for the broker's assignors.
ALIASES = {"kip848-uniform": "uniform", "kip848-range": "server-range"}
NAMES = ("range", "roundrobin", "sticky", "cooperative-sticky", "uniform", "server-range")


class JavaReferenceError(RuntimeError):
    """The reference could not be built or started, or it refused a request; the message says why."""


@dataclass(frozen=True)
class ReferenceAnswer:
    """One answer: the assignment, each member's partitions in Java's order, and timings."""

    assignment: GroupAssignment
    order: dict[str, tuple[TopicPartition, ...]]
    nanoseconds: tuple[int, ...]


def _layout(kafka_version: str | None) -> tuple[str, str]:
    """(build directory, jar directory) names for ``kafka_version`` (``None``: the pom's)."""
    return ("target", "lib") if kafka_version is None else (f"target-{kafka_version}", f"lib-{kafka_version}")


def _compiled_after(java: Path, classes: Path) -> bool:
    """The class file of ``java`` (a source of the harness package) exists and is newer."""
    compiled = classes / "kpart" / "reference" / java.with_suffix(".class").name
    return compiled.exists() and compiled.stat().st_mtime >= java.stat().st_mtime


def ensure_built(project: Path = REFERENCE_PROJECT, kafka_version: str | None = None) -> str:
    """Compile the harness and copy its jars with Maven unless they are already up to date.

    ``kafka_version`` (e.g. ``"4.0.0"``) builds against that Kafka release instead of the pom's,
    into its own directories. Returns the classpath.
    """
    build, jars = _layout(kafka_version)
    lib = project / jars
    compiled = project / build / COMPILED.relative_to(REFERENCE_PROJECT / "target")
    source = project / SOURCE.relative_to(REFERENCE_PROJECT)
    classpath = f"{project / build / 'classes'}:{lib}/*"
    fresh = all(_compiled_after(java, project / build / "classes") for java in source.parent.glob("*.java"))
    if fresh and any(lib.glob("kafka-group-coordinator-*.jar")):
        return classpath
    mvn = shutil.which("mvn")
    if mvn is None:
        raise JavaReferenceError("Maven (mvn) not found: it is needed once to build the Java reference")
    version = [] if kafka_version is None else [
        f"-Dkafka.version={kafka_version}", f"-Dreference.build={build}", f"-Dreference.lib={jars}"]
    goals = ["compile", "dependency:copy-dependencies"]
    result = subprocess.run(
        [mvn, "-B", "-q", "-f", str(project / "pom.xml"), *version, *goals],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not compiled.exists():
        detail = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()][-4:]
        raise JavaReferenceError("building the Java reference failed: " + " | ".join(detail))
    return classpath


def _request_members(group: GroupSubscription) -> list[dict[str, Any]]:
    return [
        {
            "id": member_id,
            "instance": sub.group_instance_id,
            "rack": sub.rack,
            "topics": sorted(sub.topics),
            "owned": [[tp.topic, tp.partition] for tp in sub.owned_partitions],
            "generation": sub.generation,
        }
        for member_id, sub in group.items()
    ]


def _request_topics(cluster: ClusterMetadata) -> list[dict[str, Any]]:
    topics: list[dict[str, Any]] = []
    for topic, count in sorted(cluster.partition_counts.items()):
        entry: dict[str, Any] = {"name": topic, "partitions": count}
        racks = [sorted(cluster.replica_racks.get(TopicPartition(topic, p), ())) for p in range(count)]
        if any(racks):
            entry["racks"] = racks
        topics.append(entry)
    return topics


class JavaReference:
    """A running reference JVM; use as a context manager, or ``start()`` / ``close()``."""

    def __init__(
        self, heap: str = "1g", project: Path = REFERENCE_PROJECT, kafka_version: str | None = None
    ) -> None:
        """``kafka_version`` runs another Kafka release's assignors (default: the broker's, 4.1.1)."""
        self._heap = heap
        self._project = project
        self._kafka_version = kafka_version
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None

    def start(self) -> JavaReference:
        """Build if needed and start the JVM; raise :class:`JavaReferenceError` saying what is missing."""
        try:
            java = java_executable()
        except BrokerError as exc:
            raise JavaReferenceError(str(exc)) from exc
        classpath = ensure_built(self._project, self._kafka_version)
        self._stderr = tempfile.TemporaryFile("w+")
        self._process = subprocess.Popen(
            [java, f"-Xmx{self._heap}", "-XX:+UseParallelGC", "-cp", classpath, MAIN_CLASS],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
            preexec_fn=_die_with_parent,
        )
        return self

    def close(self) -> None:
        """Stop the JVM (closing its input ends it; killed if it does not exit within 10 s)."""
        process, self._process = self._process, None
        if process is not None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            assert process.stdout is not None
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> JavaReference:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send one raw request and return its answer; a refused request raises with Java's line."""
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise JavaReferenceError("the Java reference is not running: call start() first")
        try:
            process.stdin.write(json.dumps(payload, separators=(",", ":")) + "\n")
            process.stdin.flush()
            line = process.stdout.readline()
        except BrokenPipeError:
            line = ""
        if not line:
            raise JavaReferenceError("the Java reference stopped: " + self._stderr_tail())
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise JavaReferenceError(f"Java reference refused the request: {answer['error']}")
        return answer

    def run(
        self,
        name: str,
        group: GroupSubscription,
        cluster: ClusterMetadata,
        *,
        repeat: int = 1,
        warmup: int = 0,
    ) -> ReferenceAnswer:
        """Run Java's assignor ``name`` (also ``kip848-uniform`` / ``kip848-range``) on ``group``.

        Members are sent in ``group``'s order (the order the broker's member map is filled in).
        """
        assignor = ALIASES.get(name, name)
        if assignor not in NAMES:
            raise JavaReferenceError(f"unknown reference assignor {name!r}; known: {', '.join(NAMES)}")
        answer = self.request(
            {
                "assignor": assignor,
                "topics": _request_topics(cluster),
                "members": _request_members(group),
                "repeat": repeat,
                "warmup": warmup,
            }
        )
        order = {m: tuple(TopicPartition(t, p) for t, p in tps) for m, tps in answer["assignment"].items()}
        return ReferenceAnswer(GroupAssignment.of(order), order, tuple(answer["ns"]))

    def assign(self, name: str, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        """Java's assignment for ``group`` (see :meth:`run`)."""
        return self.run(name, group, cluster).assignment

    def murmur2(self, keys: Iterable[bytes]) -> list[int]:
        """Java's ``Utils.murmur2`` (signed 32-bit) of each key."""
        answer = self.request({"op": "murmur2", "keys": [key.hex() for key in keys]})
        hashes: list[int] = answer["hashes"]
        return hashes

    def _stderr_tail(self, lines: int = 5) -> str:
        if self._stderr is None:
            return "(no output)"
        self._stderr.seek(0)
        tail: Sequence[str] = [ln for ln in self._stderr.read().splitlines() if "SLF4J" not in ln][-lines:]
        return " | ".join(tail) or "(no output)"


class ReferenceAssignor(Assignor):
    """An :class:`~strategies.core.Assignor` whose answers come from a running :class:`JavaReference`.

    It takes each member's previous assignment from ``owned_partitions`` and its generation (for
    Java's ``sticky`` the harness turns them into the member's user data), so the same round
    drivers can run ours and Java's side by side.
    """

    def __init__(self, java: JavaReference, name: str) -> None:
        self.java = java
        self.name = name
        cooperative = name in ("cooperative-sticky", *ALIASES, "uniform", "server-range")
        self.protocols = (RebalanceProtocol.COOPERATIVE,) if cooperative else (RebalanceProtocol.EAGER,)

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        return self.java.assign(self.name, group, cluster)
