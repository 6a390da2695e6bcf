"""A real Apache Kafka broker (KRaft mode) on 127.0.0.1, assembled from Maven Central jars.

``LocalCluster`` formats storage and starts one combined broker+controller node, or three nodes
sharing a static controller quorum, waits until every node accepts connections, and stops them
with SIGTERM then SIGKILL after a timeout. Each node logs to ``<dir>/node-<id>/server.log``.
With ``sasl_ports`` each node also listens for SASL_PLAINTEXT clients (PLAIN, SCRAM-SHA-256,
SCRAM-SHA-512); see :mod:`kpart.broker_sasl`. With ``ssl_ports``, an SSL listener with a
self-signed certificate; see :mod:`kpart.broker_tls`.

The jars come from ``broker/pom.xml`` (``mvn dependency:copy-dependencies`` into
``broker/lib``); Maven caches them in ``~/.m2`` so only the first assembly downloads.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import fcntl
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kpart import broker_sasl, broker_tls

BROKER_PROJECT = Path(__file__).resolve().parent.parent / "broker"
HEAP = "512m"
DEFAULT_PORT = 9092
DEFAULT_STATE_DIR = Path(os.environ.get("KPART_STATE_DIR", Path.cwd() / ".kpart" / "cluster"))
"""Where ``kpart broker`` keeps a cluster unless told otherwise (``$KPART_STATE_DIR``)."""
PDEATHSIG_SIGKILL = (1, signal.SIGKILL)  # prctl(PR_SET_PDEATHSIG, SIGKILL)


class BrokerError(RuntimeError):
    """The local broker could not be assembled, started or stopped; the message says why."""


@dataclass(frozen=True)
class Node:
    node_id: int
    port: int
    controller_port: int
    directory: Path
    sasl_port: int | None = None
    ssl_port: int | None = None

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


def _api_versions_request(correlation_id: int) -> bytes:
    """A Kafka ApiVersions v0 request (api key 18), size-prefixed, client id ``kpart``."""
    client = b"kpart"
    body = struct.pack(">hhih", 18, 0, correlation_id, len(client)) + client
    return struct.pack(">i", len(body)) + body


def kafka_answers(host: str, port: int, timeout: float = 3.0) -> bool:
    """True if a Kafka broker at ``host:port`` answers an ApiVersions request within ``timeout`` s.

    A port that accepts connections is not enough: a frozen JVM's kernel still accepts them.
    """
    correlation_id = random.randrange(1, 2**31)
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(_api_versions_request(correlation_id))
            header = b""
            while len(header) < 10:  # size, correlation id, error code
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(10 - len(header))
                if not chunk:
                    return False
                header += chunk
    except OSError:
        return False
    _, answered_id, error_code = struct.unpack(">iih", header)
    return answered_id == correlation_id and error_code == 0


def parse_bootstrap(bootstrap: str) -> list[tuple[str, int]]:
    """``host:port[,host:port...]`` as pairs; ``ValueError`` naming the bad entry."""
    out = []
    for entry in bootstrap.split(","):
        host, _, port = entry.strip().rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f"bad bootstrap address {entry.strip()!r}: expected HOST:PORT")
        out.append((host.strip("[]"), int(port)))
    return out


def bootstrap_answers(bootstrap: str, timeout: float = 3.0) -> bool:
    """True if any broker of ``bootstrap`` answers an ApiVersions request within ``timeout`` s."""
    return any(kafka_answers(host, port, timeout) for host, port in parse_bootstrap(bootstrap))


def local_bootstrap(state_dir: Path | None = None) -> tuple[str, str]:
    """Where the local broker is, and how that was found: ``(bootstrap, source)``.

    In order: ``$KAFKA_BOOTSTRAP``; the cluster ``kpart broker start`` recorded in
    ``state_dir`` (default :data:`DEFAULT_STATE_DIR`); else ``127.0.0.1:9092``.
    """
    if os.environ.get("KAFKA_BOOTSTRAP"):
        return os.environ["KAFKA_BOOTSTRAP"], "$KAFKA_BOOTSTRAP"
    directory = Path(state_dir or DEFAULT_STATE_DIR)
    try:
        return LocalCluster.load(directory).bootstrap, f"the cluster recorded in {directory}"
    except BrokerError:
        return f"127.0.0.1:{DEFAULT_PORT}", f"the default; no cluster recorded in {directory}"


def reachable_bootstrap(given: str | None = None, timeout: float = 3.0) -> tuple[str, str]:
    """The broker to use (``given``, else :func:`local_bootstrap`) and how it was found.

    Raises :class:`BrokerError` (one line) if no broker there answers within ``timeout`` s.
    """
    bootstrap, source = (given, "--bootstrap") if given else local_bootstrap()
    try:
        answered = bootstrap_answers(bootstrap, timeout)
    except ValueError as exc:
        raise BrokerError(str(exc)) from None
    if not answered:
        raise BrokerError(f"no Kafka broker answered at {bootstrap} ({source}) within {timeout:g} s; "
                          "start one with `kpart broker start`, or pass --bootstrap HOST:PORT")
    return bootstrap, source


def port_available(port: int) -> bool:
    """True if a server can listen on ``port`` now: nothing listens there or holds it open.

    The socket sets ``SO_REUSEADDR`` as the broker's JVM does, so connections of a broker that
    was just killed or stopped, lingering in TIME_WAIT, do not count as in use.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
        if all(port_available(first + i) for i in range(size)):
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


def _is_broker(pid: int) -> bool:
    """True unless ``pid`` is known to run something other than a Kafka broker (a reused pid)."""
    try:
        return b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


def _read_record(directory: Path) -> dict[str, object] | None:
    """``directory/cluster.json`` as written by ``start``; None if absent; raise if malformed."""
    record = directory / "cluster.json"
    if not record.is_file():
        return None
    try:
        layout = json.loads(record.read_text())
    except (OSError, ValueError) as exc:
        raise BrokerError(f"{record} is not valid JSON ({exc}): delete it, or the directory") from None
    ok = isinstance(layout, dict) and all(
        isinstance(layout.get(k), list) and layout[k] and all(type(p) is int for p in layout[k])
        for k in ("ports", "controller_ports")
    ) and (
        all(isinstance(layout[k], list) and all(type(p) is int for p in layout[k])
            for k in ("sasl_ports", "ssl_ports") if k in layout)
    )
    if not ok:
        raise BrokerError(f"{record} does not describe a cluster (needs lists 'ports' and "
                          "'controller_ports'): delete it, or the directory")
    return layout


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
    run never leaves stray brokers behind. ``sasl_ports`` (one per node, or none) add a
    SASL_PLAINTEXT listener per node whose users are ``sasl_users`` (name -> password; by
    default one user ``kpart`` with a random password kept in ``directory``); SCRAM users are
    created when the directory is first formatted. ``ssl_ports`` add an SSL listener per node
    (certificate made once per directory with ``keytool``).
    """

    def __init__(
        self,
        directory: Path,
        ports: Sequence[int],
        controller_ports: Sequence[int],
        tied_to_parent: bool = False,
        sasl_ports: Sequence[int] = (),
        sasl_users: Mapping[str, str] | None = None,
        ssl_ports: Sequence[int] = (),
    ) -> None:
        if len(ports) not in (1, 3) or len(controller_ports) != len(ports):
            raise BrokerError("a local cluster has 1 or 3 nodes, each with a client and controller port")
        for kind, extra in (("SASL", sasl_ports), ("SSL", ssl_ports)):
            if extra and len(extra) != len(ports):
                raise BrokerError(f"{len(ports)} node(s) need {len(ports)} {kind} port(s), got {len(extra)}")
        for port in (*ports, *controller_ports, *sasl_ports, *ssl_ports):
            if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
                last = 2 * len(ports) - 1
                raise BrokerError(f"port {port!r} is outside 1-65535 (the cluster uses PORT to PORT+{last})")
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise BrokerError(f"{self.directory} is a file, not a directory: choose another --dir")
        self.tied_to_parent = tied_to_parent
        if sasl_users is not None:
            try:
                broker_sasl.check_users(sasl_users)
            except ValueError as exc:
                raise BrokerError(str(exc)) from None
        self._sasl_users = dict(sasl_users) if sasl_users is not None else None
        sasl: Sequence[int | None] = sasl_ports or [None] * len(ports)
        tls: Sequence[int | None] = ssl_ports or [None] * len(ports)
        self.nodes = [
            Node(i + 1, port, cport, self.directory / f"node-{i + 1}", sport, tport)
            for i, (port, cport, sport, tport)
            in enumerate(zip(ports, controller_ports, sasl, tls, strict=True))
        ]
        self._tls: tuple[Path, str, Path] | None = None
        self._processes: dict[int, subprocess.Popen[bytes]] = {}
        self._lock: int | None = None

    @classmethod
    def on_free_ports(cls, directory: Path, nodes: int = 1, tied_to_parent: bool = True,
                      sasl_users: Mapping[str, str] | None = None) -> LocalCluster:
        """A cluster on free ports; with ``sasl_users``, a SASL listener per node for them."""
        first = free_port_block((3 if sasl_users else 2) * nodes)
        ports = [first + 2 * i for i in range(nodes)]
        sasl_ports = [first + 2 * nodes + i for i in range(nodes)] if sasl_users else []
        return cls(directory, ports, [p + 1 for p in ports], tied_to_parent,
                   sasl_ports=sasl_ports, sasl_users=sasl_users)

    @classmethod
    def load(cls, directory: Path) -> LocalCluster:
        """The cluster described by ``directory/cluster.json`` (written by ``start``)."""
        layout = _read_record(Path(directory))
        if layout is None:
            raise BrokerError(f"no local cluster recorded in {directory} (start one: `kpart broker start`)")
        return cls(directory, layout["ports"], layout["controller_ports"],
                   sasl_ports=layout.get("sasl_ports") or (), ssl_ports=layout.get("ssl_ports") or ())

    @property
    def bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{n.port}" for n in self.nodes)

    @property
    def sasl_bootstrap(self) -> str | None:
        """``host:port,...`` of the SASL_PLAINTEXT listeners; None without ``sasl_ports``."""
        if self.nodes[0].sasl_port is None:
            return None
        return ",".join(f"127.0.0.1:{n.sasl_port}" for n in self.nodes)

    @property
    def ssl_bootstrap(self) -> str | None:
        """``host:port,...`` of the SSL listeners; None without ``ssl_ports``."""
        if self.nodes[0].ssl_port is None:
            return None
        return ",".join(f"127.0.0.1:{n.ssl_port}" for n in self.nodes)

    @property
    def ca_file(self) -> Path | None:
        """The PEM certificate SSL clients trust (made at start); None without ``ssl_ports``."""
        return self._tls[2] if self._tls else None

    @property
    def sasl_users(self) -> dict[str, str]:
        """The SASL users (name -> password); generated and kept in ``directory`` if not given."""
        if self._sasl_users is None:
            try:
                self._sasl_users = broker_sasl.recorded_or_new_users(self.directory)
            except ValueError as exc:
                raise BrokerError(str(exc)) from None
        return dict(self._sasl_users)

    # ---- start -------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> None:
        """Format storage and start every node; return once all accept connections.

        Only one cluster runs per directory: ``directory/lock`` is locked (``fcntl.flock``) by
        this call and inherited by the JVMs, so a second ``start`` on the same directory, even
        a racing one, is refused while any node of the first runs. Anything started is stopped
        again if start-up fails or is interrupted (Ctrl-C).
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        running = [n for n in self.nodes if self._alive(n)]
        if running:
            self._release_lock()
            raise BrokerError(
                f"node {running[0].node_id} of the cluster in {self.directory} is still running "
                f"(pid {self.pid(running[0])}): run `kpart broker stop` first"
            )
        try:
            self._start(timeout)
        except BaseException:
            self.stop(timeout=5)
            raise

    def _take_lock(self) -> None:
        fd = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise BrokerError(
                f"a broker is already running (or starting) in {self.directory}: "
                "see `kpart broker status`, or `kpart broker stop` it first"
            ) from None
        self._lock = fd

    def _release_lock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _start(self, timeout: float) -> None:
        java = java_executable()
        lib = ensure_jars()
        taken = [p for n in self.nodes for p in (n.port, n.controller_port, n.sasl_port, n.ssl_port)
                 if p is not None and not port_available(p)]
        if taken:
            raise BrokerError(f"port(s) {', '.join(map(str, taken))} on 127.0.0.1 already in use")
        classpath = str(lib / "*")
        cluster_id = self._recorded_cluster_id() or _cluster_id()
        record: dict[str, object] = {**self._layout(), "cluster_id": cluster_id}
        scram_args: list[str] = []
        if self.sasl_bootstrap is not None:
            record["sasl_ports"] = [n.sasl_port for n in self.nodes]
            broker_sasl.write_client_configs(self.directory, self.sasl_users)
            scram_args = broker_sasl.format_arguments(self.sasl_users)
        if self.ssl_bootstrap is not None:
            record["ssl_ports"] = [n.ssl_port for n in self.nodes]
            try:
                self._tls = broker_tls.ensure_keystore(self.directory, java)
            except broker_tls.TlsError as exc:
                raise BrokerError(str(exc)) from None
            broker_tls.write_client_config(self.directory, self._tls[2])
        for node in self.nodes:
            self._write_config(node)
        (self.directory / "cluster.json").write_text(json.dumps(record))
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
                    *scram_args,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for node in self.nodes
        ]
        try:
            for node, proc in zip(self.nodes, formatters, strict=True):
                out, _ = proc.communicate(timeout=120)
                if proc.returncode != 0:
                    raise BrokerError(f"formatting node {node.node_id} failed: {out.decode().strip()[-500:]}")
        finally:
            for proc in formatters:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        for node in self.nodes:
            self._launch(java, classpath, node)
        self._wait_until_serving(timeout)
        self._release_lock()  # the JVMs hold it from here on

    def _layout(self) -> dict[str, list[int]]:
        return {
            "ports": [n.port for n in self.nodes],
            "controller_ports": [n.controller_port for n in self.nodes],
        }

    def _recorded_cluster_id(self) -> str | None:
        """The id of the cluster whose data ``directory`` already holds, so a restart keeps it.

        Raises if that cluster had another layout: its storage cannot serve this one.
        """
        recorded = _read_record(self.directory)
        if recorded is None:
            return None
        if {k: recorded.get(k) for k in ("ports", "controller_ports")} != self._layout():
            raise BrokerError(
                f"{self.directory} holds a cluster on ports {recorded.get('ports')}: "
                "start it with the same ports and node count, or use another directory"
            )
        cluster_id = recorded.get("cluster_id")
        return cluster_id if isinstance(cluster_id, str) else None

    def _write_config(self, node: Node) -> None:
        node.directory.mkdir(parents=True, exist_ok=True)
        replication = len(self.nodes)
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        sasl = f",SASL_PLAINTEXT://127.0.0.1:{node.sasl_port}" if node.sasl_port is not None else ""
        tls = f",SSL://127.0.0.1:{node.ssl_port}" if node.ssl_port is not None else ""
        settings: dict[str, object] = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            "controller.quorum.voters": voters,
            "listeners": f"PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}"
            + sasl + tls,
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{node.port}" + sasl + tls,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
            + (",SASL_PLAINTEXT:SASL_PLAINTEXT" if sasl else "") + (",SSL:SSL" if tls else ""),
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
        if sasl:
            settings.update(broker_sasl.listener_settings(self.sasl_users))
        if tls and self._tls is not None:
            settings.update(broker_tls.listener_settings(self._tls[0], self._tls[1]))
        text = "".join(f"{key}={value}\n" for key, value in settings.items())
        broker_sasl.write_private(node.directory / "server.properties", text)  # may hold passwords
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
            pass_fds=() if self._lock is None else (self._lock,),
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
        return pid > 0 and _pid_alive(pid) and _is_broker(pid)

    def log_tail(self, node: Node | None = None, lines: int = 40) -> str:
        """The last ``lines`` lines of a node's log (the first node by default)."""
        node = node or self.nodes[0]
        try:
            return "\n".join(node.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return f"(no log at {node.log_file})"

    def status(self) -> list[dict[str, object]]:
        """Per node: pid, ``running`` (its JVM lives), ``serving`` (it answers a Kafka
        ApiVersions request within 3 s; a frozen JVM does not), memory and log."""
        return [
            {
                "node": n.node_id,
                "port": n.port,
                "pid": self.pid(n),
                "running": self._alive(n),
                "serving": kafka_answers("127.0.0.1", n.port),
                "rss_mib": round(rss_megabytes(self.pid(n)), 1),
                "log": str(n.log_file),
            }
            for n in self.nodes
        ]

    # ---- stop --------------------------------------------------------------------------
    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM every node (controlled shutdown), SIGKILL whatever still runs after ``timeout``."""
        pids = [self.pid(n) for n in self.nodes if self._alive(n)]
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
        self._release_lock()

    def _reap(self, block: bool = False) -> None:
        for proc in self._processes.values():
            if block:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
            else:
                proc.poll()
