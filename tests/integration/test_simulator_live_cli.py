"""User story: ``kpart compare SCENARIO --live --bootstrap HOST:PORT`` shows predicted vs observed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpart.cli import main

SCENARIO = """\
name: live-cli
timing: {session_timeout_s: 10, restart_downtime_s: 2}
topics:
  - {name: orders, partitions: 5}
members:
  - {name: c0, static: true}
  - {name: c1, static: true}
events:
  - {type: join, name: c2, static: true}
  - {type: static_bounce, member: c1, downtime_s: 2}
  - {type: join, name: d}
  - {type: leave, member: d}
"""


@pytest.mark.integration
def test_compare_live_prints_a_match_for_every_step(
    kafka_bootstrap: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "live.yaml"
    path.write_text(SCENARIO)
    code = main(["compare", str(path), "--strategies", "roundrobin,cooperative-sticky", "--no-progress",
                 "--live", "--bootstrap", kafka_bootstrap])
    out = capsys.readouterr().out
    assert code == 0, out
    for strategy in ("roundrobin", "cooperative-sticky"):
        section = out.split(f"under {strategy} on {kafka_bootstrap}")[1].split("live run of")[0]
        rows = [line for line in section.splitlines()[2:] if line.strip()]
        assert [r.split()[0] for r in rows] == ["start", "join", "join", "bounce", "join", "leave"], section
        assert all(r.endswith("  match") for r in rows), section
    coop = out.split("under cooperative-sticky")[1].splitlines()
    # a static member back within the session timeout causes no rebalance, live as predicted
    bounce = next(r for r in coop if r.startswith("bounce c1"))
    assert bounce.split()[-3:] == ["0", "0", "match"]


# an even split: which member the broker's range gives an extra partition is for the exact ports
FRESH_GROUP = """\
name: live-kip848
topics:
  - {name: orders, partitions: 6}
members:
  - {name: c0, static: true}
  - {name: c1, static: true}
"""


@pytest.mark.integration
def test_compare_live_runs_kip848_strategies_on_consumer_protocol_members(
    kafka_bootstrap: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fresh.yaml"
    path.write_text(FRESH_GROUP)
    code = main(["compare", str(path), "--strategies", "kip848-uniform,kip848-range", "--no-progress",
                 "--live", "--bootstrap", kafka_bootstrap])
    out = capsys.readouterr().out
    assert code == 0, out
    for strategy in ("kip848-uniform", "kip848-range"):
        section = out.split(f"under {strategy} on {kafka_bootstrap}")[1].split("live run of")[0]
        rows = [line for line in section.splitlines()[2:] if line.strip()]
        # the broker reports no generations for consumer-protocol groups: observed rounds "-"
        assert [r.split()[0] for r in rows] == ["start", "join"], section
        assert all(r.split()[-2:] == ["-", "match"] for r in rows), section


@pytest.mark.integration
def test_a_live_run_asking_for_more_replicas_than_brokers_is_one_line(
    kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # the shipped scale-out scenario asks for replication 3; the test broker has one node
    scenario = Path(__file__).parents[2] / "examples" / "scenarios" / "scale-out.yaml"
    code = main(["simulate", str(scenario), "--strategy", "range", "--no-progress",
                 "--live", "--bootstrap", kafka_bootstrap])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "topic 'orders' has replication 3 but the cluster at" in err, err
    assert "Traceback" not in err
