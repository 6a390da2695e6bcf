"""CI-sized soak: every strategy at once on a real three-node cluster, through a broker kill,
a consumer kill, a static leader bounce and a consumer frozen (SIGSTOP) past its session;
nothing acknowledged is lost, no partition is ever owned by two members at the same time, and
no member processes a record of a partition it does not own (the frozen one included)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpart.broker import BrokerError
from kpart.soak.cluster import SoakCluster
from kpart.soak.runner import STRATEGIES, SoakConfig, SoakRun
from tests.conftest import unavailable

pytestmark = pytest.mark.integration



@pytest.fixture(scope="module")
def three_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoakCluster]:
    """A three-node KRaft cluster of its own on free ports (the session broker has one node)."""
    cluster = SoakCluster.on_free_ports(tmp_path_factory.mktemp("soak-cluster"), 3, tied_to_parent=True)
    try:
        cluster.start(timeout=180)
    except BrokerError as exc:
        unavailable("the three-node cluster did not start", str(exc))
    try:
        yield cluster
    finally:
        cluster.stop(timeout=10)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_every_strategy_survives_broker_and_consumer_kills_and_a_freeze_without_loss_or_overlap(
    three_nodes: SoakCluster, tmp_path: Path
) -> None:
    cfg = SoakConfig(duration_s=100.0, members=4, seed=3, rate=100.0,
                     faults=("broker_kill", "consumer_kill", "static_bounce", "consumer_freeze"),
                     directory=tmp_path)
    lines: list[str] = []
    with SoakRun(cfg, say=lines.append, cluster=three_nodes) as soak:
        report = soak.run()
    assert not [pid for pid in soak.spawned if _alive(pid)], "client processes left behind"
    assert not three_nodes.dead_nodes(), "a killed broker was not restarted"
    kinds = [f["kind"] for f in report.faults]
    assert sorted(kinds) == ["broker_kill", "consumer_freeze", "consumer_kill", "static_bounce"], lines
    assert report.producer["acknowledged"] > 1000
    assert [g.strategy for g in report.groups] == list(STRATEGIES)
    for g in report.groups:
        summary = f"{g.strategy}: {g.failures} (log: {lines})"
        assert g.lost == 0 and g.consumed == g.produced == report.producer["acknowledged"], summary
        assert g.overlaps == 0 and g.unowned_reads == 0, summary
        assert g.rounds >= 1, summary  # the consumer kill forced at least one rebalance
    cooperative = [g for g in report.groups if g.protocol == "cooperative"]
    assert cooperative and all(g.needless_revocations == 0 for g in cooperative)


def test_an_interrupted_soak_leaves_no_process_behind(three_nodes: SoakCluster, tmp_path: Path) -> None:
    cfg = SoakConfig(strategies=("range", "cooperative-sticky"), members=2, duration_s=60.0,
                     faults=("consumer_kill",), directory=tmp_path, topic="soak-interrupted")

    def say(line: str) -> None:
        if line.startswith("fault schedule"):  # the groups have formed: every process runs
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), SoakRun(cfg, say=say, cluster=three_nodes) as soak:
        soak.run()
    assert len(soak.spawned) == 5  # the producer and four members
    assert not [pid for pid in soak.spawned if _alive(pid)]
