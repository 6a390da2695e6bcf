"""Shared fixtures: a real Kafka broker for the whole session and uniquely named topics.

Tiers: every test under ``tests/integration/`` or ``tests/reference/``, and every test anywhere
that asks for a broker or the Java reference (fixtures in :data:`NEEDS_JAVA_OR_BROKER`), is
marked ``integration``; ``pytest -m "not integration"`` runs the rest with neither.

Broker, in order of choice: ``KAFKA_BOOTSTRAP`` (an existing cluster), a testcontainers Kafka
container when a Docker engine answers, else a local JVM broker started by the project itself.
With ``CI=true`` a broker that cannot be had is an error, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kpart.broker import BrokerError, LocalCluster
from tests.support import create_topic

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
INTEGRATION_DIRS = ("integration", "reference")
NEEDS_JAVA_OR_BROKER = frozenset({"broker", "kafka_bootstrap", "make_topic", "java", "java_4_0"})
TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the integration tier: by directory, and by the fixtures a test asks for."""
    for item in items:
        try:
            top = item.path.resolve().relative_to(TESTS).parts[0]
        except ValueError:
            top = ""
        if top in INTEGRATION_DIRS or NEEDS_JAVA_OR_BROKER & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def _docker_answers() -> bool:
    try:
        import docker  # shipped with testcontainers

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


class BrokerHandle:
    """Where the session's broker is, and (for a local one) how to read its log."""

    def __init__(self, bootstrap: str, cluster: LocalCluster | None = None) -> None:
        self.bootstrap = bootstrap
        self.cluster = cluster

    def log_tail(self, lines: int = 40) -> str:
        return self.cluster.log_tail(lines=lines) if self.cluster else "(broker log not available)"

    def crashed(self) -> bool:
        return bool(self.cluster and self.cluster.dead_nodes())


def _recorded_cluster() -> LocalCluster | None:
    """The local cluster that ``kpart broker start --dir $KPART_STATE_DIR`` recorded, if any."""
    state = os.environ.get("KPART_STATE_DIR")
    if not state:
        return None
    try:
        return LocalCluster.load(Path(state))
    except BrokerError:
        return None


def unavailable(what: str, reason: str) -> None:
    """``what`` cannot be had: a failure with ``CI=true``, a skip elsewhere (never returns)."""
    if IN_CI:
        pytest.fail(f"{what}: {reason}", pytrace=False)
    pytest.skip(f"{what} (outside CI): {reason}")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerHandle]:
    """A running Kafka broker for the whole test session."""
    if os.environ.get("KAFKA_BOOTSTRAP"):
        yield BrokerHandle(os.environ["KAFKA_BOOTSTRAP"], _recorded_cluster())
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as container:
            yield BrokerHandle(container.get_bootstrap_server())
        return
    cluster = LocalCluster.on_free_ports(tmp_path_factory.mktemp("kafka"), nodes=1)
    try:
        cluster.start()
    except BrokerError as exc:
        unavailable("no Kafka broker for integration tests", str(exc))
    try:
        yield BrokerHandle(cluster.bootstrap, cluster)
    finally:
        cluster.stop()


@pytest.fixture
def kafka_bootstrap(broker: BrokerHandle) -> str:
    """``host:port`` of the session's broker; fails at once (with its log) if it crashed."""
    if broker.crashed():
        pytest.fail("the Kafka broker is not running; log tail:\n" + broker.log_tail(), pytrace=False)
    return broker.bootstrap


@pytest.fixture
def make_topic(kafka_bootstrap: str, request: pytest.FixtureRequest) -> Callable[..., str]:
    """``make_topic(partitions, replication=1) -> name``: a new, uniquely named topic."""

    def make(partitions: int, replication: int = 1) -> str:
        stem = request.node.name.split("[")[0][:40]
        return create_topic(kafka_bootstrap, f"{stem}-{uuid.uuid4().hex[:8]}", partitions, replication)

    return make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the broker's log tail to every failed test that used the broker."""
    report = yield
    if report.failed and "broker" in getattr(item, "fixturenames", ()):
        handle = item.funcargs.get("broker") if hasattr(item, "funcargs") else None
        if isinstance(handle, BrokerHandle):
            report.sections.append(("kafka broker log (tail)", handle.log_tail()))
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skipped test is a failure: nothing may hide a missing broker or dependency."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if IN_CI and skipped and exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; in CI every test must run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
