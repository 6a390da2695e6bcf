"""The local broker harness: refuses bad set-ups clearly, serves real clients, leaves no JVM behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from kpart.broker import BrokerError, LocalCluster, ensure_jars, free_port_block
from tests.support import create_topic

KPART = [sys.executable, "-m", "kpart.cli"]


def run_kpart(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KPART, *args], capture_output=True, text=True, env=env, timeout=120)


def test_version_command_prints_the_package_version() -> None:
    from kpart import __version__

    result = run_kpart("version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"kpart {__version__}"


@pytest.mark.integration  # ``start`` checks for Java 17+ before it looks at the ports
def test_a_taken_port_is_refused_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = run_kpart("broker", "start", "--port", str(port), "--dir", str(tmp_path / "c"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"kpart: port(s) {port} on 127.0.0.1 already in use"


def test_missing_java_is_refused_with_one_clear_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # no java here; the interpreter is called by absolute path
    result = run_kpart("broker", "start", "--dir", str(tmp_path / "c"), env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == "kpart: Java not found: install a JDK 17+ or set JAVA_HOME"


def test_a_failed_jar_download_is_reported(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(
        (Path(__file__).resolve().parents[2] / "broker" / "pom.xml")
        .read_text()
        .replace("<kafka.version>4.1.1</kafka.version>", "<kafka.version>0.0.0-no-such</kafka.version>")
    )
    with pytest.raises(BrokerError, match="downloading the broker's jars failed"):
        ensure_jars(tmp_path)


def test_status_of_a_directory_without_a_cluster_fails_clearly(tmp_path: Path) -> None:
    result = run_kpart("broker", "status", "--dir", str(tmp_path))
    assert result.returncode == 2
    assert "no local cluster recorded in" in result.stderr


@pytest.mark.integration
def test_records_round_trip_through_the_session_broker(kafka_bootstrap: str, make_topic) -> None:
    topic = make_topic(3)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for i in range(30):
        producer.send(topic, key=f"k{i}".encode(), value=f"v{i}".encode())
    producer.flush(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=15_000
    )
    values = sorted(record.value.decode() for _, record in zip(range(30), consumer, strict=False))
    consumer.close()
    assert values == sorted(f"v{i}" for i in range(30))


@pytest.mark.integration
def test_three_node_cluster_serves_a_replicated_topic_and_survives_a_lost_node(tmp_path: Path) -> None:
    cluster = LocalCluster.on_free_ports(tmp_path, nodes=3)
    try:
        cluster.start()
        assert all(row["serving"] for row in cluster.status())
        topic = create_topic(cluster.bootstrap, "replicated", partitions=3, replication=3)
        producer = KafkaProducer(bootstrap_servers=cluster.bootstrap, acks="all")
        for i in range(9):
            producer.send(topic, value=f"before-{i}".encode()).get(timeout=30)

        lost = cluster.nodes[2]
        os.kill(cluster.pid(lost), signal.SIGKILL)
        deadline = time.monotonic() + 10
        while lost not in cluster.dead_nodes() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cluster.dead_nodes() == [lost]

        for i in range(9):
            producer.send(topic, value=f"after-{i}".encode()).get(timeout=60)
        producer.close()
        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=cluster.bootstrap,
            auto_offset_reset="earliest",
            consumer_timeout_ms=20_000,
        )
        values = {record.value.decode() for _, record in zip(range(18), consumer, strict=False)}
        consumer.close()
        assert values == {f"{when}-{i}" for when in ("before", "after") for i in range(9)}
    finally:
        pids = [cluster.pid(n) for n in cluster.nodes]
        cluster.stop(timeout=10)
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids), "a broker JVM outlived stop()"


@pytest.mark.integration
def test_cli_starts_and_stops_a_broker_that_clients_can_use(tmp_path: Path) -> None:
    port = free_port_block(2)
    state = tmp_path / "cluster"
    started = run_kpart("broker", "start", "--port", str(port), "--dir", str(state))
    try:
        assert started.returncode == 0, started.stderr
        assert f"127.0.0.1:{port}" in started.stdout
        status = run_kpart("broker", "status", "--dir", str(state))
        assert status.returncode == 0 and "serving" in status.stdout
        topic = create_topic(f"127.0.0.1:{port}", "cli-started", partitions=1)
        producer = KafkaProducer(bootstrap_servers=f"127.0.0.1:{port}")
        metadata = producer.send(topic, value=b"hello").get(timeout=30)
        producer.close()
        assert (metadata.topic, metadata.offset) == (topic, 0)
    finally:
        stopped = run_kpart("broker", "stop", "--dir", str(state))
    assert stopped.returncode == 0
    after = run_kpart("broker", "status", "--dir", str(state))
    assert after.returncode == 1 and "stopped" in after.stdout

    other_layout = run_kpart("broker", "start", "--port", str(port + 2), "--dir", str(state))
    assert other_layout.returncode == 2
    assert f"holds a cluster on ports [{port}]" in other_layout.stderr

    restarted = run_kpart("broker", "start", "--port", str(port), "--dir", str(state))
    try:
        assert restarted.returncode == 0, restarted.stderr
        producer = KafkaProducer(bootstrap_servers=f"127.0.0.1:{port}")
        metadata = producer.send(topic, value=b"again").get(timeout=30)
        producer.close()
        assert metadata.offset == 1, "the restarted broker lost the first record"
    finally:
        run_kpart("broker", "stop", "--dir", str(state))


def test_a_crashed_broker_fails_tests_at_once_with_its_log_tail(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = Path(__file__).resolve().parents[2]
    state = tmp_path / "cluster"
    (state / "node-1").mkdir(parents=True)
    (state / "cluster.json").write_text('{"ports": [1], "controller_ports": [2]}')
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    (state / "node-1" / "pid").write_text(gone.stdout.decode().strip())
    (state / "node-1" / "server.log").write_text("ERROR Exiting Kafka due to fatal exception\n")
    monkeypatch.setenv("KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("KPART_STATE_DIR", str(state))
    monkeypatch.setenv("PYTHONPATH", str(repo))
    pytester.makeconftest((repo / "tests" / "conftest.py").read_text())
    pytester.makepyfile("def test_uses_the_broker(kafka_bootstrap):\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*the Kafka broker is not running; log tail:*", "*Exiting Kafka due to fatal*"]
    )
