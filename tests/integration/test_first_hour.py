"""A new user's first hour: every README command works in order, the tour teaches and cleans up,
the examples stop at once when asked (without a broker: ``tests/examples``)."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from kafka import KafkaAdminClient

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent
SETUP_COMMANDS = ("bash scripts/main.sh", "bash scripts/test.sh", "bash scripts/setup.sh")


def readme_commands() -> list[str]:
    """Every line of every ```bash block of README.md, comments removed, in order."""
    blocks = re.findall(r"^```bash\n(.*?)^```", (ROOT / "README.md").read_text(), re.MULTILINE | re.DOTALL)
    lines = [re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
             for block in blocks for line in block.splitlines()]
    return [line for line in lines if line]


def env_without_broker(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP"}
    env["KPART_STATE_DIR"] = str(tmp_path / "cluster")
    return env


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def topics(bootstrap: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def tour_processes() -> list[psutil.Process]:
    """Processes a tour may have left: its own, or a throw-away broker (``kpart-tour-`` dir)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if "kpart-tour-" in cmdline or str(EXAMPLES / "tour.py") in cmdline:
            found.append(proc)
    return found


class Running:
    """A process whose output is collected line by line while it runs."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env, cwd=ROOT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, f"no {text!r} in:\n" + "\n".join(self.lines)
            time.sleep(0.05)

    def interrupt(self, sig: int = signal.SIGINT) -> tuple[int, float]:
        """Send ``sig``; the exit status and the seconds it took to exit."""
        sent = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        time.sleep(0.2)  # the reader thread catches up
        return code, time.monotonic() - sent


# ---- the README -------------------------------------------------------------------------------


@pytest.mark.integration
def test_every_readme_command_works_in_order(kafka_bootstrap: str, tmp_path: Path) -> None:
    """Mapping: the set-up commands are what runs this test (``bash scripts/main.sh`` then just
    runs ``kpart compare``); ``.venv/bin/`` is this interpreter's directory; ``mkdocs build``
    writes into a temporary directory. The test broker stands in for the README's: until
    ``kpart broker start`` commands reach it through ``$KAFKA_BOOTSTRAP`` (as the README says they
    may); ``kpart broker start`` is replaced by recording the test broker in ``$KPART_STATE_DIR``
    as ``start`` would (``start`` itself is tested in tests/kpart), so ``status``, the examples
    and ``stop`` find it there (``stop`` has no pid of it, so it stops nothing)."""
    commands = readme_commands()
    assert commands[:2] == ["bash scripts/main.sh", "bash scripts/test.sh"], "the README must open with them"
    env = env_without_broker(tmp_path)
    env["KAFKA_BOOTSTRAP"] = kafka_bootstrap
    ran = []
    for command in commands:
        if command == "bash scripts/main.sh":
            command = ".venv/bin/kpart compare"
        command = re.sub(r"(?<![\w/])\.venv/bin/", f"{BIN}/", command)
        site = shlex.quote(str(tmp_path / "site"))
        command = command.replace("mkdocs build", f"mkdocs build --site-dir {site}")
        if command.startswith(SETUP_COMMANDS):
            continue
        if "&&" in command and command.split("&&")[0].strip().startswith(SETUP_COMMANDS):
            command = command.split("&&", 1)[1].strip()
        if command.endswith("kpart broker start"):
            record_as_local_cluster(kafka_bootstrap, tmp_path / "cluster")
            env.pop("KAFKA_BOOTSTRAP")
            ran.append(command)
            continue
        result = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=240)
        assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, f"{command}\n{result.stderr}"
        ran.append(command)
        if command.endswith("kpart broker status"):
            assert " serving" in result.stdout, result.stdout
        if command.endswith("kpart broker stop"):
            env["KAFKA_BOOTSTRAP"] = kafka_bootstrap
    assert any("examples/tour.py" in c for c in ran) and any("broker start" in c for c in ran)


def record_as_local_cluster(bootstrap: str, state: Path) -> None:
    """Write ``state/cluster.json`` as ``kpart broker start`` does, for the broker at ``bootstrap``."""
    port = int(bootstrap.split(",")[0].rpartition(":")[2])
    state.mkdir(parents=True, exist_ok=True)
    (state / "cluster.json").write_text(f'{{"ports": [{port}], "controller_ports": [{port + 1}]}}')


# ---- the tour ---------------------------------------------------------------------------------


@pytest.mark.integration
def test_the_tour_shows_why_keys_land_where_and_a_rebalance_then_leaves_nothing(kafka_bootstrap: str) -> None:
    before = topics(kafka_bootstrap)
    result = subprocess.run([sys.executable, str(EXAMPLES / "tour.py"), "--bootstrap", kafka_bootstrap],
                            capture_output=True, text=True, timeout=180, cwd=ROOT)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert [f"== step {i}/5" in out for i in range(1, 6)] == [True] * 5
    rows = re.findall(r"^(user-\d) +(-?\d+) +(\d+) +(\d)   partition (\d) \((\w+)\)$", out, re.MULTILINE)
    assert len(rows) == 6 and all(same == "same" for *_, same in rows)
    for _, hashed, positive, modulo, landed, _ in rows:
        assert int(positive) == int(hashed) & 0x7FFFFFFF and int(modulo) == int(positive) % 6 == int(landed)
    assert re.search(r"eager +\(sticky\): c1 \[\d, \d\]  c2 \[\d, \d\]  c3 \[\d, \d\]", out)
    after = out.split("after the rebalance:")[1]
    assert re.search(r"eager +\(sticky\): c1 \[\d, \d, \d\]  c2 \[\d, \d, \d\]", after)
    assert "eager: 4 partition(s) taken from members that got them straight back" in out
    assert "cooperative: 0 partition(s) taken from members that got them straight back" in out
    assert "closed every consumer" in out and "nothing left running" in out
    assert topics(kafka_bootstrap) == before, "the tour left its topic behind"
    assert tour_processes() == []


@pytest.mark.integration
def test_ctrl_c_in_the_middle_of_the_tour_cleans_up_at_once(kafka_bootstrap: str) -> None:
    before = topics(kafka_bootstrap)
    tour = Running([sys.executable, "-u", str(EXAMPLES / "tour.py"), "--bootstrap", kafka_bootstrap])
    tour.wait_for("== step 3/5")
    code, seconds = tour.interrupt()
    assert code == 130, "\n".join(tour.lines)
    assert seconds < 8, f"took {seconds:.1f} s to stop"
    assert "interrupted: cleaned up, nothing left running" in tour.lines
    assert topics(kafka_bootstrap) == before
    assert tour_processes() == []


@pytest.mark.integration
def test_ctrl_c_while_the_tour_starts_its_own_broker_stops_that_broker(tmp_path: Path) -> None:
    env = env_without_broker(tmp_path)
    env["KAFKA_BOOTSTRAP"] = f"127.0.0.1:{closed_port()}"  # where the tour looks first: nobody there
    tour = Running([sys.executable, "-u", str(EXAMPLES / "tour.py")], env=env)
    tour.wait_for("starting a throw-away broker")
    time.sleep(3)  # the JVM is starting
    code, seconds = tour.interrupt()
    assert code == 130 and seconds < 15, "\n".join(tour.lines)
    assert tour_processes() == [], "the tour's broker outlived it"


# ---- the examples -----------------------------------------------------------------------------


@pytest.mark.integration
def test_an_example_without_bootstrap_finds_the_recorded_local_broker(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    port = kafka_bootstrap.split(",")[0].rpartition(":")[2]
    state = tmp_path / "cluster"
    record_as_local_cluster(kafka_bootstrap, state)
    result = subprocess.run([sys.executable, str(EXAMPLES / "partition_producer.py"), "--topic",
                             f"found-{time.monotonic_ns()}", "--keys", "2", "--rounds", "1"],
                            capture_output=True, text=True, timeout=120, env=env_without_broker(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"broker 127.0.0.1:{port} (the cluster recorded in {state})" in result.stdout


@pytest.mark.integration
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_consumer_leaves_within_seconds_of_sigterm_or_ctrl_c(
    kafka_bootstrap: str, make_topic, sig: int
) -> None:
    topic = make_topic(2)
    consumer = Running([sys.executable, "-u", str(EXAMPLES / "partition_consumer.py"), "--bootstrap",
                        kafka_bootstrap, "--topic", topic, "--group", f"g-{topic}", "--name", "c1"])
    consumer.wait_for("c1 assigned [0, 1]")
    code, seconds = consumer.interrupt(sig)
    assert code == 0 and seconds < 8, (code, seconds, consumer.lines)
    assert not any("Traceback" in line for line in consumer.lines)


@pytest.mark.integration
def test_basic_producer_stops_within_seconds_of_sigterm(kafka_bootstrap: str, make_topic) -> None:
    producer = Running([sys.executable, "-u", str(EXAMPLES / "basic_producer.py"), "--bootstrap",
                        kafka_bootstrap, "--topic", make_topic(3), "--records", "100000"])
    producer.wait_for("sync: sending")  # its signal handler is installed before it says so
    time.sleep(1)  # sending synchronously, one acknowledgement at a time
    code, seconds = producer.interrupt(signal.SIGTERM)
    assert code == 130 and seconds < 8, (code, seconds, producer.lines)
