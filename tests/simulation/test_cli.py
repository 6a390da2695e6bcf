"""The ``kpart simulate``, ``compare`` and ``partitions`` commands."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from kpart.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
PNG = b"\x89PNG\r\n\x1a\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_without_arguments_prints_the_default_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compare", "--no-progress")
    assert code == 0
    lines = out.split("\nwhat the rows mean:")[0].splitlines()
    assert lines[0].startswith("scenario 'default': 6 members, 5 events, seed 7")
    header = next(line for line in lines if line.lstrip().startswith("range"))
    assert header.split() == ["range", "roundrobin", "sticky", "cooperative-sticky", "kip848-uniform"]
    rows = {line[:27].strip(): line[27:].split() for line in lines if line[:27].strip() and "  " in line}
    assert rows["protocol"] == ["eager", "eager", "eager", "cooperative", "incremental"]
    for label in ("rebalances", "partitions moved", "partitions revoked", "unowned partition-seconds",
                  "final spread (max-min)", "final rack locality"):
        assert len(rows[label]) == 5, label
    # every eager strategy revokes more than the cooperative one
    revoked = [int(x.replace(",", "")) for x in rows["partitions revoked"]]
    assert min(revoked[:3]) > revoked[3]


def test_compare_json_has_one_result_per_strategy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compare", str(EXAMPLES / "scale-out.yaml"), "--strategies", "range,sticky",
                       "--json")
    assert code == 0
    data = json.loads(out)
    assert [d["strategy"] for d in data] == ["range", "sticky"]
    assert [e["label"] for e in data[0]["events"]] == ["start (3 members)", "join 3 (c3..c5)",
                                                       "join 3 (c6..c8)", "join 3 (c9..c11)"]
    assert sorted(data[1]["final_assignment"]) == sorted(f"c{i}" for i in range(12))
    assert sum(len(v) for v in data[1]["final_assignment"].values()) == 48


def test_compare_csv_has_event_and_totals_rows(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compare", "--strategies", "range,cooperative-sticky", "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["row"] for r in rows].count("totals") == 2
    assert [r["row"] for r in rows].count("event") == 2 * 6
    assert {r["strategy"] for r in rows} == {"range", "cooperative-sticky"}


def test_compare_plot_writes_pngs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "compare", "--no-progress", "--plot", str(tmp_path / "png"))
    assert code == 0
    names = sorted(p.name for p in (tmp_path / "png").iterdir())
    assert names == ["balance_over_time.png", "key_distribution.png", "moved_per_event.png",
                     "unowned_partition_seconds.png"]
    for p in (tmp_path / "png").iterdir():
        assert p.read_bytes()[:8] == PNG and p.stat().st_size > 10_000
    assert "wrote" in err


def test_simulate_prints_one_row_per_event_and_totals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", str(EXAMPLES / "rolling-restart.yaml"), "--strategy", "range")
    assert code == 0
    assert "under range (eager protocol)" in out
    assert "rolling restart of 20" in out
    assert "totals after the group formed: 40 rebalances, 40 rounds" in out


def test_bad_scenario_exits_2_naming_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics: [{name: t, partitions: 4}]\nmembers: [{count: 2}]\n"
                   "events: [{type: crash, member: c0}, {type: leave, member: c0}]\n")
    code, out, err = run(capsys, "compare", str(bad))
    assert (code, out) == (2, "")
    assert err.strip() == "kpart: bad.yaml: events[1].member: member 'c0' already crashed at events[0]"


def test_unknown_strategy_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "compare", "--strategies", "range,bogus")
    assert code == 2 and "unknown strategy 'bogus'" in err


def test_partitions_reports_skew_and_remapping(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "partitions", "--partitioner", "murmur2,consistent", "--zipf", "1.2",
                       "--partitions", "6", "--expand-to", "12", "--json", "--plot", str(tmp_path))
    assert code == 0
    data = json.loads(out)
    assert [d["partitioner"] for d in data] == ["murmur2", "consistent"]
    for d in data:
        assert sum(d["records_per_partition"]) == d["records"] == 100_000
        assert d["skew_max_over_mean"] > 1.0
        assert 0.0 < d["records_remapped"] < 1.0
        assert 0.0 < d["batch_fill"] <= 1.0
    assert (tmp_path / "key_distribution.png").read_bytes()[:8] == PNG
    assert (tmp_path / "key_distribution_expanded.png").exists()


def test_partitions_uses_java_murmur2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("21\nfoobar\nfoobar\n")
    code, out, _ = run(capsys, "partitions", "--keys", str(keys), "--partitions", "5", "--json")
    assert code == 0
    expected = [0] * 5
    expected[(-973932308 & 0x7FFFFFFF) % 5] += 1
    expected[(-790332482 & 0x7FFFFFFF) % 5] += 2
    assert json.loads(out)[0]["records_per_partition"] == expected


def test_partitions_rejects_a_shrinking_expansion(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "partitions", "--partitions", "6", "--expand-to", "4")
    assert code == 2 and "--expand-to must be more than --partitions (6)" in err


def test_compare_strategies_example_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, str(root / "examples" / "compare_strategies.py"),
                           str(EXAMPLES / "scale-out.yaml"), "--strategies", "range,cooperative-sticky",
                           "--plot", str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "least time without a consumer: cooperative-sticky (153 partition-seconds)" in proc.stdout
    assert (tmp_path / "unowned_partition_seconds.png").read_bytes()[:8] == PNG
