"""A broker with SASL and SSL listeners: right settings work for every client, wrong ones fail in one line.

The module starts its own one-node broker with a SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256,
SCRAM-SHA-512) for user ``alice`` and an SSL listener (self-signed certificate); the session's
broker has neither.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpart.broker import BrokerError, LocalCluster, free_port_block
from kpart.broker_sasl import MECHANISMS, client_config_text
from kpart.client_access import AccessError, AuthenticationFailed, check_access
from kpart.client_config import ClientConfig, load_client_config
from tests.conftest import unavailable
from tests.integration.example_processes import EXAMPLES

pytestmark = pytest.mark.integration

USER = "alice"
PASSWORD = "right-" + uuid.uuid4().hex[:12]
WRONG = "wrong-" + uuid.uuid4().hex[:12]
KPART = [sys.executable, "-m", "kpart.cli"]


class SaslBroker:
    def __init__(self, cluster: LocalCluster, configs: Path) -> None:
        self.cluster, self.configs = cluster, configs
        assert cluster.sasl_bootstrap is not None and cluster.ssl_bootstrap is not None
        self.bootstrap: str = cluster.sasl_bootstrap
        self.ssl_bootstrap: str = cluster.ssl_bootstrap

    def bootstrap_for(self, mechanism: str) -> str:
        return self.ssl_bootstrap if mechanism == "SSL" else self.bootstrap

    def config_file(self, mechanism: str, password: str = PASSWORD, user: str = USER) -> Path:
        path = self.configs / f"{mechanism}-{user}-{password}.properties"
        path.write_text(client_config_text(mechanism, user, password))
        return path

    def config(self, mechanism: str, password: str = PASSWORD) -> ClientConfig:
        """The SASL config for ``mechanism``, or (``SSL``) the one the broker wrote for TLS."""
        if mechanism == "SSL":
            return load_client_config(self.cluster.directory / "client-ssl.properties")
        return load_client_config(self.config_file(mechanism, password))


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SaslBroker]:
    first = free_port_block(4)
    cluster = LocalCluster(tmp_path_factory.mktemp("sasl-kafka"), [first], [first + 1], tied_to_parent=True,
                           sasl_ports=[first + 2], sasl_users={USER: PASSWORD}, ssl_ports=[first + 3])
    try:
        cluster.start()
    except BrokerError as exc:
        unavailable("no Kafka broker with a SASL listener", str(exc))
    try:
        yield SaslBroker(cluster, tmp_path_factory.mktemp("client-configs"))
    finally:
        cluster.stop()


def new_topic(broker: SaslBroker, config: ClientConfig) -> str:
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    topic = f"secure-{uuid.uuid4().hex[:8]}"
    bootstrap = broker.ssl_bootstrap if config.uses_ssl else broker.bootstrap
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **config.for_kafka_python())
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()
    return topic


# ---- right credentials: every client produces and consumes ----------------------------------
@pytest.mark.parametrize("mechanism", [*MECHANISMS, "SSL"])
def test_kafka_python_produces_and_consumes_with_the_right_credentials(
    sasl_broker: SaslBroker, mechanism: str
) -> None:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    config = sasl_broker.config(mechanism)
    topic = new_topic(sasl_broker, config)
    bootstrap = sasl_broker.bootstrap_for(mechanism)
    producer = KafkaProducer(bootstrap_servers=bootstrap, **config.for_kafka_python())
    producer.send(topic, b"kafka-python " + mechanism.encode()).get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             consumer_timeout_ms=20_000, **config.for_kafka_python())
    consumer.assign([TopicPartition(topic, 0)])
    values = [record.value for record in consumer]
    consumer.close()
    assert values[:1] == [b"kafka-python " + mechanism.encode()]


@pytest.mark.parametrize("mechanism", [*MECHANISMS, "SSL"])
def test_confluent_kafka_produces_and_consumes_with_the_right_credentials(
    sasl_broker: SaslBroker, mechanism: str
) -> None:
    from confluent_kafka import Consumer, Producer, TopicPartition

    config = sasl_broker.config(mechanism)
    topic = new_topic(sasl_broker, config)
    settings = {"bootstrap.servers": sasl_broker.bootstrap_for(mechanism), **config.for_confluent()}
    producer = Producer(settings)
    delivered: list[object] = []
    producer.produce(topic, b"confluent " + mechanism.encode(),
                     on_delivery=lambda err, msg: delivered.append(err))
    assert producer.flush(30) == 0 and delivered == [None]
    consumer = Consumer({**settings, "group.id": f"g-{uuid.uuid4().hex[:6]}",
                         "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, 0, 0)])
    deadline, message = time.monotonic() + 30, None
    while message is None and time.monotonic() < deadline:
        message = consumer.poll(1.0)
    consumer.close()
    assert message is not None and message.error() is None
    assert message.value() == b"confluent " + mechanism.encode()


@pytest.mark.parametrize("mechanism", [*MECHANISMS, "SSL"])
def test_aiokafka_produces_and_consumes_with_the_right_credentials(
    sasl_broker: SaslBroker, mechanism: str
) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    config = sasl_broker.config(mechanism)
    topic = new_topic(sasl_broker, config)

    bootstrap = sasl_broker.bootstrap_for(mechanism)

    async def round_trip() -> bytes:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **config.for_aiokafka())
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"aiokafka " + mechanism.encode())
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                    **config.for_aiokafka())
        await consumer.start()
        try:
            consumer.assign([TopicPartition(topic, 0)])
            record = await asyncio.wait_for(consumer.getone(), 30)
        finally:
            await consumer.stop()
        return bytes(record.value)

    assert asyncio.run(round_trip()) == b"aiokafka " + mechanism.encode()


# ---- wrong credentials: one line, within seconds --------------------------------------------
@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_a_wrong_password_or_an_unknown_user_is_refused_in_one_line(sasl_broker: SaslBroker,
                                                                   mechanism: str) -> None:
    host_port = sasl_broker.bootstrap
    assert check_access(host_port, sasl_broker.config(mechanism)) == host_port
    for config in (sasl_broker.config(mechanism, WRONG),
                   load_client_config(sasl_broker.config_file(mechanism, PASSWORD, user="mallory"))):
        started = time.monotonic()
        with pytest.raises(AuthenticationFailed) as info:
            check_access(host_port, config)
        assert time.monotonic() - started < 10
        assert str(info.value) == (f"authentication failed for user {config.username!r} at {host_port} "
                                   f"(SASL {mechanism})")


def test_a_certificate_from_another_ca_is_one_line(sasl_broker: SaslBroker, tmp_path: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=other-ca", "-keyout", str(tmp_path / "k"), "-out", str(tmp_path / "other.pem")],
                   check=True, capture_output=True)
    (tmp_path / "c.properties").write_text("security.protocol=SSL\nssl.ca.location=other.pem\n")
    with pytest.raises(AccessError) as info:
        check_access(sasl_broker.ssl_bootstrap, load_client_config(tmp_path / "c.properties"))
    assert str(info.value) == (f"no broker at {sasl_broker.ssl_bootstrap} let in a SSL client: "
                               f"{sasl_broker.ssl_bootstrap}: TLS failed (CERTIFICATE_VERIFY_FAILED)")


def test_a_sasl_client_pointed_at_the_plaintext_listener_is_told_so(sasl_broker: SaslBroker) -> None:
    with pytest.raises(AuthenticationFailed, match="does not do SASL: point the bootstrap at the broker's "
                       "SASL listener"):
        check_access(sasl_broker.cluster.bootstrap, sasl_broker.config("SCRAM-SHA-512"))


def test_no_broker_at_all_is_one_line_not_a_hang() -> None:
    port = free_port_block(1)
    config = ClientConfig(source=Path("x"), security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                          username="u")
    with pytest.raises(AccessError, match=f"no broker at 127.0.0.1:{port} let in a SASL_PLAINTEXT"):
        check_access(f"127.0.0.1:{port}", config, timeout=3)


def run(command: list[str], timeout: float = 240, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **env})


EXAMPLE_CLIENTS = [("partition_producer.py", "SCRAM-SHA-512"), ("aiokafka_partition_producer.py", "PLAIN"),
                   ("confluent_partition_producer.py", "SCRAM-SHA-256")]  # each mechanism once


@pytest.mark.parametrize(("script", "mechanism"), EXAMPLE_CLIENTS)
def test_the_examples_work_with_the_right_password_and_stop_in_one_line_with_a_wrong_one(
    sasl_broker: SaslBroker, script: str, mechanism: str
) -> None:
    topic = f"secure-example-{uuid.uuid4().hex[:8]}"
    base = [sys.executable, str(EXAMPLES / script), "--bootstrap", sasl_broker.bootstrap, "--topic", topic,
            "--keys", "3", "--rounds", "1"]
    good = run([*base, "--client-config", str(sasl_broker.config_file(mechanism))])
    assert good.returncode == 0, good.stderr
    assert good.stdout.count(" -> partition ") == 3
    started = time.monotonic()
    bad = run([*base, "--client-config", str(sasl_broker.config_file(mechanism, WRONG))])
    assert time.monotonic() - started < 60  # interpreter and client imports on a loaded machine
    assert bad.returncode == 2
    assert bad.stderr == (f"error: authentication failed for user {USER!r} at {sasl_broker.bootstrap} "
                          f"(SASL {mechanism})\n")
    for output in (good.stdout, good.stderr, bad.stdout, bad.stderr):
        assert PASSWORD not in output and WRONG not in output


def test_the_consumer_example_reads_over_sasl(sasl_broker: SaslBroker) -> None:
    config = sasl_broker.config_file("SCRAM-SHA-256")
    topic = new_topic(sasl_broker, load_client_config(config))
    run([sys.executable, str(EXAMPLES / "partition_producer.py"), "--bootstrap", sasl_broker.bootstrap,
         "--topic", topic, "--keys", "2", "--rounds", "1", "--client-config", str(config)])
    consumer = run([sys.executable, str(EXAMPLES / "partition_consumer.py"), "--bootstrap",
                    sasl_broker.bootstrap, "--topic", topic, "--group", f"g-{topic}", "--idle-exit", "8",
                    "--client-config", str(config)])
    assert consumer.returncode == 0, consumer.stderr
    assert consumer.stdout.count(" read partition=0") == 2


def test_live_runs_over_sasl_and_a_wrong_password_is_one_line_with_exit_2(
    sasl_broker: SaslBroker, tmp_path: Path
) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text("name: tiny\nseed: 1\ntopics:\n  - {name: orders, partitions: 4, replication: 1}\n"
                        "members:\n  - {count: 1, prefix: c}\nevents:\n  - {type: join, at: 60, count: 1}\n")
    command = [*KPART, "simulate", str(scenario), "--strategy", "range", "--no-progress", "--live",
               "--bootstrap", sasl_broker.bootstrap, "--client-config"]
    good = run([*command, str(sasl_broker.config_file("SCRAM-SHA-512"))], KPART_LIVE_DEBUG="1")
    assert good.returncode == 0, good.stderr[-2000:]
    assert "live run of 'tiny' under range" in good.stdout
    assert "SASL" in good.stderr  # kafka-python's own log lines, passed through, were grepped too
    bad = run([*command, str(sasl_broker.config_file("SCRAM-SHA-512", WRONG))], timeout=60)
    assert bad.returncode == 2
    assert bad.stderr == (f"kpart: authentication failed for user {USER!r} at {sasl_broker.bootstrap} "
                          "(SASL SCRAM-SHA-512)\n")
    for output in (good.stdout, good.stderr, bad.stdout, bad.stderr):
        assert PASSWORD not in output and WRONG not in output


def test_bad_sasl_users_are_refused_naming_the_user_not_the_password(tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match="password of SASL user 'bob'") as info:
        LocalCluster(tmp_path, [1000], [1001], sasl_ports=[1002], sasl_users={"bob": 'pa"ss'})
    assert 'pa"ss' not in str(info.value)
    with pytest.raises(BrokerError, match="1 node.s. need 1 SASL port"):
        LocalCluster(tmp_path, [1000], [1001], sasl_ports=[1002, 1003])


def test_without_bootstrap_an_example_finds_the_recorded_clusters_sasl_listener(
    sasl_broker: SaslBroker,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP"}
    env["KPART_STATE_DIR"] = str(sasl_broker.cluster.directory)
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "partition_producer.py"), "--topic", f"found-{uuid.uuid4().hex[:8]}",
         "--keys", "1", "--rounds", "1", "--client-config", str(sasl_broker.config_file("PLAIN"))],
        capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"broker {sasl_broker.bootstrap} (the SASL listener of the cluster")


def test_the_broker_keeps_passwords_in_owner_only_files_and_out_of_its_log(sasl_broker: SaslBroker) -> None:
    directory = sasl_broker.cluster.directory
    for path in [*directory.glob("client-*.properties"), *directory.glob("node-*/server.properties"),
                 directory / "tls" / "keystore-password", directory / "tls" / "broker.p12"]:
        assert path.stat().st_mode & 0o077 == 0, path
    assert PASSWORD not in (directory / "cluster.json").read_text()
    assert PASSWORD not in sasl_broker.cluster.log_tail(lines=100_000)  # Kafka logs password settings hidden


def test_broker_status_shows_the_sasl_and_ssl_listeners(sasl_broker: SaslBroker) -> None:
    directory = sasl_broker.cluster.directory
    result = run([*KPART, "broker", "status", "--dir", str(directory)], timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        f"SASL_PLAINTEXT listener: {sasl_broker.bootstrap} (client configs in {directory})",
        f"SSL listener: {sasl_broker.ssl_bootstrap} (client configs in {directory})",
    ]
