"""``kpart compare --live`` refuses, in one line and before anything runs, what cannot run live.

No broker is needed: every case is refused before a connection is tried.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kpart.cli import main

SCENARIO = """\
name: live-cli
topics:
  - {name: orders, partitions: 5}
members:
  - {name: c0, static: true}
  - {name: c1, static: true}
"""


def test_live_without_bootstrap_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "live.yaml"
    path.write_text(SCENARIO)
    assert main(["compare", str(path), "--live"]) == 2
    assert "--live needs --bootstrap HOST:PORT" in capsys.readouterr().err


@pytest.mark.parametrize(("strategies", "named"), [
    ("range,sticky@eager", "strategy 'sticky@eager' cannot run live"),
    ("kip848-uniform,nope", "unknown strategy 'nope'"),
])
def test_compare_live_refuses_what_cannot_run_live_before_anything_runs(
    strategies: str, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "live.yaml"
    path.write_text(SCENARIO)
    # port 1: nothing listens there, so any attempt to run live would fail differently
    args = ["compare", str(path), "--strategies", strategies, "--live", "--bootstrap", "127.0.0.1:1"]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # not even the simulated table
    assert named in captured.err and len(captured.err.strip().splitlines()) == 1, captured.err
