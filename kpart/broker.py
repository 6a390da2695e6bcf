"""A real Apache Kafka broker (KRaft mode) on 127.0.0.1, assembled from Maven Central jars.

``LocalCluster`` formats storage and starts one combined broker+controller node, or three nodes
sharing a static controller quorum, waits until every node accepts connections, and stops them
with SIGTERM then SIGKILL after a timeout. Each node logs to ``<dir>/node-<id>/server.log``.

The jars come from ``broker/pom.xml`` (``mvn dependency:copy-dependencies`` into
``broker/lib``); Maven caches them in ``~/.m2`` so only the first assembly downloads.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BROKER_PROJECT = Path(__file__).resolve().parent.parent / "broker"
HEAP = "512m"
PDEATHSIG_SIGKILL = (1, signal.SIGKILL)  # prctl(PR_SET_PDEATHSIG, SIGKILL)


class BrokerError(RuntimeError):
    """The local broker could not be assembled, started or stopped; the message says why."""


@dataclass(frozen=True)
class Node:
    node_id: int
    port: int
    controller_port: int
    directory: Path

    @property
    def log_file(self) -> Path:
        return self.directory / "server.log"

    @property
    def pid_file(self) -> Path:
        return self.directory / "pid"


def java_executable() -> str:
    """The ``java`` to run (``$JAVA_HOME/bin/java`` first); raise if there is none or it is < 17."""
    home = os.environ.get("JAVA_HOME")
    candidate = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not candidate or not Path(candidate).exists():
        raise BrokerError("Java not found: install a JDK 17+ or set JAVA_HOME")
    out = subprocess.run([candidate, "-version"], capture_output=True, text=True).stderr
    try:
        major = int(out.split('"')[1].split(".")[0])
    except (IndexError, ValueError) as exc:
        raise BrokerError(f"cannot read the Java version from: {out.strip()!r}") from exc
    if major < 17:
        raise BrokerError(f"Kafka 4 needs Java 17+, found Java {major} at {candidate}")
    return candidate


def ensure_jars(project: Path = BROKER_PROJECT) -> Path:
    """Assemble the broker's jars into ``project/lib`` with Maven if they are not there yet."""
    lib = project / "lib"
    if lib.is_dir() and any(lib.glob("kafka_2.13-*.jar")):
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError("Maven (mvn) not found: it is needed once to fetch the broker's jars")
    result = subprocess.run(
        [mvn, "-B", "-q", "-f", str(project / "pom.xml"), "dependency:copy-dependencies"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0 or not any(lib.glob("kafka_2.13-*.jar")):
        detail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        raise BrokerError("downloading the broker's jars failed: " + " | ".join(detail))
    return lib


def port_is_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _port_bindable(port: int) -> bool:
    """True if nothing on this host holds ``port``: no listener and no connection's local end."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_block(size: int) -> int:
    """First port of ``size`` consecutive ports that are free, below the ephemeral range.

    Ports the kernel hands to outgoing connections are avoided, so no client connection can take
    a port between this check and the broker binding it.
    """
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(10_000, ephemeral_low - size)
        if all(_port_bindable(first + i) for i in range(size)):
            return first
    raise BrokerError(f"no {size} consecutive free ports found between 10000 and {ephemeral_low}")


def _cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(*PDEATHSIG_SIGKILL)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child still answers kill(0)
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def rss_megabytes(pid: int) -> float:
    """Resident memory of a process in MiB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class LocalCluster:
    """One or three KRaft nodes on 127.0.0.1, each both broker and controller.

    ``ports`` are the client ports; controller ports follow in ``controller_ports``. With
    ``tied_to_parent`` the JVMs are killed by the kernel if this Python process dies, so a test
    run never leaves stray brokers behind.
    """

    def __init__(
        self,
        directory: Path,
        ports: Sequence[int],
        controller_ports: Sequence[int],
        tied_to_parent: bool = False,
    ) -> None:
        if len(ports) not in (1, 3) or len(controller_ports) != len(ports):
            raise BrokerError("a local cluster has 1 or 3 nodes, each with a client and controller port")
        self.directory = Path(directory)
        self.tied_to_parent = tied_to_parent
        self.nodes = [
            Node(i + 1, port, cport, self.directory / f"node-{i + 1}")
            for i, (port, cport) in enumerate(zip(ports, controller_ports, strict=True))
        ]
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    @classmethod
    def on_free_ports(cls, directory: Path, nodes: int = 1, tied_to_parent: bool = True) -> LocalCluster:
        first = free_port_block(2 * nodes)
        ports = [first + 2 * i for i in range(nodes)]
        return cls(directory, ports, [p + 1 for p in ports], tied_to_parent)

    @classmethod
    def load(cls, directory: Path) -> LocalCluster:
        """The cluster described by ``directory/cluster.json`` (written by ``start``)."""
        try:
            layout = json.loads((Path(directory) / "cluster.json").read_text())
        except (OSError, ValueError) as exc:
            raise BrokerError(f"no local cluster recorded in {directory}") from exc
        return cls(directory, layout["ports"], layout["controller_ports"])

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    # ---- start -------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> None:
        """Format storage and start every node; return once all accept connections."""
        java = java_executable()
        lib = ensure_jars()
        taken = [p for n in self.nodes for p in (n.port, n.controller_port) if not _port_bindable(p)]
        if taken:
            raise BrokerError(f"port(s) {', '.join(map(str, taken))} on 127.0.0.1 already in use")
        classpath = str(lib / "*")
        cluster_id = self._recorded_cluster_id() or _cluster_id()
        for node in self.nodes:
            self._write_config(node)
        (self.directory / "cluster.json").write_text(json.dumps({**self._layout(), "cluster_id": cluster_id}))
        formatters = [
            subprocess.Popen(
                [
                    java,
                    "-Xmx256m",
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cluster_id,
                    "-c",
                    str(node.directory / "server.properties"),
                    "--ignore-formatted",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for node in self.nodes
        ]
        for node, proc in zip(self.nodes, formatters, strict=True):
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                raise BrokerError(f"formatting node {node.node_id} failed: {out.decode().strip()[-500:]}")
        for node in self.nodes:
            self._launch(java, classpath, node)
        try:
            self._wait_until_serving(timeout)
        except BaseException:
            self.stop()
            raise

    def _layout(self) -> dict[str, list[int]]:
        return {
            "ports": [n.port for n in self.nodes],
            "controller_ports": [n.controller_port for n in self.nodes],
        }

    def _recorded_cluster_id(self) -> str | None:
        """The id of the cluster whose data ``directory`` already holds, so a restart keeps it.

        Raises if that cluster had another layout: its storage cannot serve this one.
        """
        try:
            recorded = json.loads((self.directory / "cluster.json").read_text())
        except (OSError, ValueError):
            return None
        if {k: recorded.get(k) for k in ("ports", "controller_ports")} != self._layout():
            raise BrokerError(
                f"{self.directory} holds a cluster on ports {recorded.get('ports')}: "
                "start it with the same ports and node count, or use another directory"
            )
        return recorded.get("cluster_id")

    def _write_config(self, node: Node) -> None:
        node.directory.mkdir(parents=True, exist_ok=True)
        replication = len(self.nodes)
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        settings = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": node.directory / "data",
            "num.partitions": 1,
            "auto.create.topics.enable": "false",
            "offsets.topic.num.partitions": 10,
            "offsets.topic.replication.factor": replication,
            "transaction.state.log.replication.factor": replication,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": replication,
            "share.coordinator.state.topic.min.isr": 1,
            "group.initial.rebalance.delay.ms": 0,
            "group.consumer.min.heartbeat.interval.ms": 500,  # a group may opt into faster heartbeats
            "log.flush.interval.messages": 1_000_000,
        }
        text = "".join(f"{key}={value}\n" for key, value in settings.items())
        (node.directory / "server.properties").write_text(text)
        (node.directory / "log4j2.properties").write_text(
            "appender.out.type=Console\nappender.out.name=OUT\n"
            "appender.out.layout.type=PatternLayout\n"
            "appender.out.layout.pattern=[%d] %p %m (%c)%n\n"
            "rootLogger.level=INFO\nrootLogger.appenderRef.out.ref=OUT\n"
            "logger.state.name=state.change.logger\nlogger.state.level=WARN\n"
        )

    def _launch(self, java: str, classpath: str, node: Node) -> None:
        log = node.log_file.open("ab")
        command = [
            java,
            f"-Xms{HEAP}",
            f"-Xmx{HEAP}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={node.directory / 'log4j2.properties'}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(node.directory / "server.properties"),
        ]
        proc = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if self.tied_to_parent else None,
        )
        log.close()
        self._processes[node.node_id] = proc
        node.pid_file.write_text(str(proc.pid))

    def _wait_until_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(self.nodes)
        while waiting:
            for node in list(waiting):
                if not _pid_alive(self.pid(node)):
                    raise BrokerError(
                        f"broker node {node.node_id} exited during start-up; log tail:\n"
                        + self.log_tail(node)
                    )
                if port_is_open(node.port):
                    waiting.remove(node)
            if waiting and time.monotonic() > deadline:
                raise BrokerError(
                    f"broker node {waiting[0].node_id} not serving after {timeout:.0f}s; log tail:\n"
                    + self.log_tail(waiting[0])
                )
            if waiting:
                time.sleep(0.2)

    # ---- inspect -----------------------------------------------------------------------
    def pid(self, node: Node) -> int:
        if node.node_id in self._processes:
            return self._processes[node.node_id].pid
        try:
            return int(node.pid_file.read_text())
        except (OSError, ValueError):
            return -1

    def dead_nodes(self) -> list[Node]:
        """Nodes whose JVM is no longer running."""
        return [n for n in self.nodes if not self._alive(n)]

    def _alive(self, node: Node) -> bool:
        proc = self._processes.get(node.node_id)
        if proc is not None:
            return proc.poll() is None
        pid = self.pid(node)
        return pid > 0 and _pid_alive(pid)

    def log_tail(self, node: Node | None = None, lines: int = 40) -> str:
        """The last ``lines`` lines of a node's log (the first node by default)."""
        node = node or self.nodes[0]
        try:
            return "\n".join(node.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return f"(no log at {node.log_file})"

    def status(self) -> list[dict[str, object]]:
        return [
            {
                "node": n.node_id,
                "port": n.port,
                "pid": self.pid(n),
                "running": self._alive(n),
                "serving": port_is_open(n.port),
                "rss_mib": round(rss_megabytes(self.pid(n)), 1),
                "log": str(n.log_file),
            }
            for n in self.nodes
        ]

    # ---- stop --------------------------------------------------------------------------
    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM every node (controlled shutdown), SIGKILL whatever still runs after ``timeout``."""
        pids = [p for p in (self.pid(n) for n in self.nodes) if p > 0 and _pid_alive(p)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(_pid_alive(p) for p in pids) and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.2)
        for pid in pids:
            if _pid_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self._reap(block=True)
        for node in self.nodes:
            node.pid_file.unlink(missing_ok=True)

    def _reap(self, block: bool = False) -> None:
        for proc in self._processes.values():
            if block:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
            else:
                proc.poll()
