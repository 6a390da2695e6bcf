"""``kpart broker``: bad set-ups get one line, one cluster per directory, liveness means answering."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kpart.broker import free_port_block, kafka_answers, port_available
from kpart.cli import main

KPART = [sys.executable, "-m", "kpart.cli"]
Kpart = Callable[..., subprocess.CompletedProcess[str]]


def run_kpart(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KPART, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def kpart(capsys: pytest.CaptureFixture[str]) -> Kpart:
    """``kpart(*args)``: the CLI run in this process (fast), as a CompletedProcess."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def leave_time_wait_on(port: int) -> None:
    """A server on ``port`` closes an accepted connection first, leaving it in TIME_WAIT."""
    with socket.create_server(("127.0.0.1", port)) as server:
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server side closes first: its end waits in TIME_WAIT
        client.recv(1)
        client.close()


def test_a_port_left_in_time_wait_by_a_stopped_broker_is_free_to_start_on() -> None:
    port = free_port_block(2)
    leave_time_wait_on(port)
    assert port_available(port)


def test_a_listening_port_is_still_taken() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        assert not port_available(server.getsockname()[1])


def test_a_start_on_a_directory_another_start_holds_is_refused_at_once(tmp_path: Path, kpart: Kpart) -> None:
    state = tmp_path / "cluster"
    state.mkdir()
    holder = os.open(state / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        result = kpart("broker", "start", "--port", str(free_port_block(2)), "--dir", str(state))
    finally:
        os.close(holder)
    assert result.returncode == 2
    assert one_line(result) == (f"kpart: a broker is already running (or starting) in {state}: "
                                "see `kpart broker status`, or `kpart broker stop` it first")


@pytest.mark.parametrize(("action", "record"), [
    ("start", "{not json"), ("stop", '{"ports": 1}'), ("status", "[]"),
    ("status", '{"ports": [1], "controller_ports": ["x"]}'),
])
def test_a_malformed_cluster_record_gets_one_line(
    tmp_path: Path, action: str, record: str, kpart: Kpart
) -> None:
    (tmp_path / "cluster.json").write_text(record)
    result = kpart("broker", action, "--dir", str(tmp_path))
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith(f"kpart: {tmp_path / 'cluster.json'} ")
    assert "delete it, or the directory" in line


@pytest.mark.parametrize("action", ["start", "stop", "status"])
def test_a_dir_that_is_a_file_gets_one_line(tmp_path: Path, action: str, kpart: Kpart) -> None:
    file = tmp_path / "not-a-dir"
    file.write_text("")
    result = kpart("broker", action, "--dir", str(file))
    assert result.returncode == 2
    line = one_line(result)
    assert str(file) in line and ("is a file" in line or "no local cluster recorded" in line)


@pytest.mark.parametrize("port", ["0", "-1", "65535", "70000"])
def test_a_port_outside_the_valid_range_gets_one_line(tmp_path: Path, port: str, kpart: Kpart) -> None:
    result = kpart("broker", "start", "--port", port, "--dir", str(tmp_path / "c"))
    assert result.returncode == 2
    assert "is outside 1-65535" in one_line(result)  # 65535 itself is fine, its controller port is not


def test_broker_start_help_shows_its_defaults(kpart: Kpart) -> None:
    text = kpart("broker", "start", "--help").stdout
    assert "9092" in text and "default: 90" in text and "KPART_STATE_DIR" in text and "--nodes" in text


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port whose listener accepts connections and never answers, like a frozen JVM."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_kafka_answers_is_false_for_a_port_that_accepts_but_never_answers(silent_server: int) -> None:
    started = time.monotonic()
    assert not kafka_answers("127.0.0.1", silent_server, timeout=1.0)
    assert time.monotonic() - started < 5


def test_status_of_a_hung_broker_is_not_serving(tmp_path: Path, silent_server: int, kpart: Kpart) -> None:
    (tmp_path / "node-1").mkdir()
    (tmp_path / "cluster.json").write_text(json.dumps({"ports": [silent_server],
                                                       "controller_ports": [silent_server + 1]}))
    hung = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "kafka.Kafka"])
    try:
        (tmp_path / "node-1" / "pid").write_text(str(hung.pid))
        result = kpart("broker", "status", "--dir", str(tmp_path))
    finally:
        hung.kill()
        hung.wait()
    assert result.returncode == 1
    assert "not answering Kafka requests" in result.stdout and " serving" not in result.stdout


@pytest.mark.integration
def test_kafka_answers_a_real_broker(kafka_bootstrap: str) -> None:
    host, _, port = kafka_bootstrap.split(",")[0].rpartition(":")
    assert kafka_answers(host, int(port))


def jvm_alive(pid: int) -> bool:
    try:
        return b"kafka.Kafka" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


@pytest.mark.integration
def test_ctrl_c_during_start_stops_the_broker_it_was_starting(tmp_path: Path) -> None:
    state = tmp_path / "cluster"
    command = [*KPART, "broker", "start", "--port", str(free_port_block(2)), "--dir", str(state)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid_file = state / "node-1" / "pid"
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pid_file.exists(), "the broker JVM was never launched"
    jvm = int(pid_file.read_text())
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert err.strip() == "kpart: interrupted (anything it had started is stopped)"
    deadline = time.monotonic() + 10
    while jvm_alive(jvm) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not jvm_alive(jvm), "the JVM outlived the interrupted start"


@pytest.mark.integration
def test_racing_starts_run_one_cluster_that_restarts_at_once_after_kill_9(tmp_path: Path) -> None:
    state, port = tmp_path / "cluster", free_port_block(2)
    command = [*KPART, "broker", "start", "--port", str(port), "--dir", str(state)]
    racers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    outcomes = sorted((p.wait(timeout=120), p.stderr.read()) for p in racers)  # type: ignore[union-attr]
    try:
        assert [code for code, _ in outcomes] == [0, 2], outcomes
        assert "already running (or starting)" in outcomes[1][1]
        jvms = [int(line.split()[0]) for line in subprocess.run(
            ["pgrep", "-f", "-a", str(state)], capture_output=True, text=True).stdout.splitlines()
            if "kafka.Kafka" in line]
        assert len(jvms) == 1, "two JVMs run on one directory"

        with socket.create_connection(("127.0.0.1", port)):  # a client is connected when it dies
            os.kill(jvms[0], signal.SIGKILL)
            time.sleep(0.5)
        restarted = run_kpart("broker", "start", "--port", str(port), "--dir", str(state))
        assert restarted.returncode == 0, restarted.stderr
        assert run_kpart("broker", "status", "--dir", str(state)).returncode == 0
    finally:
        run_kpart("broker", "stop", "--dir", str(state))
    assert run_kpart("broker", "status", "--dir", str(state)).returncode == 1


def test_start_without_port_moves_off_a_taken_default_port_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kpart import cli

    with socket.create_server(("127.0.0.1", 0)) as squatter:
        taken = squatter.getsockname()[1]
        monkeypatch.setattr(cli, "DEFAULT_PORT", taken)
        chosen = cli._default_port(tmp_path / "c", nodes=1)
    assert chosen != taken
    assert f"port {taken} is in use; starting on {chosen} instead" in capsys.readouterr().out


def test_start_without_port_reuses_the_recorded_clusters_port(tmp_path: Path) -> None:
    from kpart import cli

    (tmp_path / "cluster.json").write_text(json.dumps({"ports": [12345], "controller_ports": [12346]}))
    assert cli._default_port(tmp_path, nodes=1) == 12345
