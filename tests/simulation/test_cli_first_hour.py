"""What a new user meets first: the compare table explains itself, bad input gets one line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kpart.cli import main
from kpart.simulation import ScenarioError, parse_scenario

KPART = [sys.executable, "-m", "kpart.cli"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def totals(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, dict]:
    code, out, _ = run(capsys, "compare", "--no-progress", "--json", *argv)
    assert code == 0
    return {r["strategy"]: r["totals"] for r in json.loads(out)}


@pytest.mark.parametrize("strategies", ["range,roundrobin,sticky,cooperative-sticky,kip848-uniform",
                                        "range,roundrobin", "sticky,range"])
def test_the_recommendation_names_the_strategy_with_least_unowned_time(
    capsys: pytest.CaptureFixture[str], strategies: str
) -> None:
    figures = totals(capsys, "--strategies", strategies)
    best = min(figures, key=lambda s: (figures[s]["unowned_ps"], figures[s]["moved"],
                                       figures[s]["final_spread"]))
    code, out, _ = run(capsys, "compare", "--no-progress", "--strategies", strategies)
    assert code == 0
    [line] = [x for x in out.splitlines() if x.startswith("recommendation: ")]
    assert line.startswith(f"recommendation: {best} (")
    assert f"{figures[best]['unowned_ps']:,.0f} partition-seconds" in line


def test_a_kip848_winner_also_names_the_best_classic_strategy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compare", "--no-progress")
    assert code == 0
    assert "recommendation: kip848-uniform (incremental)" in out
    assert "With kafka-python (classic protocol only): cooperative-sticky" in out


def test_the_table_has_a_legend_and_next_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compare", "--no-progress")
    assert code == 0
    legend = out.split("what the rows mean:")[1]
    for term in ("unowned partition-seconds", "kip848-uniform", "incremental", "cooperative", "eager"):
        assert term in legend, term
    steps = out.split("\nnext:\n")[1].splitlines()
    assert any("compare --plot" in s for s in steps)
    assert any("compare examples/scenarios/" in s for s in steps)
    assert any("simulate --strategy cooperative-sticky" in s for s in steps)


def test_machine_output_has_no_legend(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "compare", "--no-progress", "--json")
    json.loads(out)


@pytest.mark.parametrize("bad", ["range,,sticky", "range,", ",range", ","])
def test_an_empty_strategy_name_is_refused(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["compare", "--strategies", bad])
    assert info.value.code == 2
    assert "--strategies" in capsys.readouterr().err


def test_help_texts_show_names_not_python_lists(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    compare_help = capsys.readouterr().out
    assert "['" not in compare_help and "range,roundrobin" in compare_help.replace("\n", "").replace(" ", "")
    with pytest.raises(SystemExit):
        main(["partitions", "--help"])
    partitions_help = " ".join(capsys.readouterr().out.split())
    for name in ("murmur2", "consistent_random", "jump", "field", "uniform_sticky"):
        assert name in partitions_help, name
    assert "--partitioner-option" in partitions_help


def test_field_partitioner_without_options_gets_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "partitions", "--partitioner", "field")
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    assert "'field'" in err and "--partitioner-option KEY=VALUE" in err


def json_keys(users: int, each: int) -> str:
    """One JSON key per line: ``each`` different keys for each user id."""
    return "".join(json.dumps({"user": {"id": u}, "n": n}) + "\n" for u in range(users) for n in range(each))


def test_field_partitioner_routes_a_json_key_file_by_the_named_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(json_keys(users=2, each=30))
    args = ["partitions", "--keys", str(keys), "--json"]
    code, out, err = run(capsys, *args, "--partitioner", "field", "--partitioner-option", "field=user.id",
                         "--partitioner-option", "source=key")
    assert code == 0, err
    [by_field] = json.loads(out)
    assert sorted(c for c in by_field["records_per_partition"] if c) in ([30, 30], [60])
    _, out, _ = run(capsys, *args, "--partitioner", "murmur2")
    assert sum(1 for c in json.loads(out)[0]["records_per_partition"] if c) > 2  # whole keys spread


def scenario_with(producer: dict) -> dict:
    return {"topics": [{"name": "t", "partitions": 6}], "members": [{"count": 2}],
            "events": [{"type": "join", "name": "x"}], "producer": {"topic": "t", **producer}}


def test_a_scenario_with_field_and_no_options_fails_validation() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(scenario_with({"partitioner": "field"}))
    assert str(info.value).startswith("producer.partitioner: partitioner 'field'")
    assert "producer.partitioner_options" in str(info.value)


def test_a_scenario_field_partitioner_that_cannot_route_keys_only_fails_validation() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(scenario_with({"partitioner": "field", "partitioner_options": {"field": "user.id"}}))
    assert str(info.value).startswith("producer.partitioner_options: partitioner 'field' cannot route")


def test_a_scenario_field_partitioner_with_options_runs(tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text(json_keys(users=3, each=5))
    scenario = parse_scenario(scenario_with({
        "partitioner": "field", "partitioner_options": {"field": "user.id", "source": "key"},
        "keys": {"distribution": "file", "file": str(keys)},
    }))
    from kpart.simulation import compare

    [result] = compare(scenario, ["range"], progress=False)
    assert result.records_per_partition is not None
    assert sum(1 for c in result.records_per_partition if c) <= 3  # one partition per user id


def test_leaving_twice_says_already_left() -> None:
    data = {"topics": [{"name": "t", "partitions": 4}], "members": [{"count": 2}],
            "events": [{"type": "leave", "member": "c0"}, {"type": "leave", "member": "c0"}]}
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    assert str(info.value) == "events[1].member: member 'c0' already left at events[0]"


def test_partitions_explains_chi_square_and_mentions_remapping_only_on_expansion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, plain, _ = run(capsys, "partitions", "--partitioner", "murmur2")
    assert "remapped" not in plain
    assert "An ideal random" in plain and "95% of the time" in plain
    _, grown, _ = run(capsys, "partitions", "--partitioner", "murmur2", "--expand-to", "8")
    assert "remapped->8" in grown and "remapped: share of records" in grown


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("argv", [
    ["compare", "--live"],
    ["simulate", "--live"],
    ["compare", "--live", "--bootstrap", "127.0.0.1:{port}"],
    ["simulate", "--live", "--bootstrap", "127.0.0.1:{port}"],
])
def test_live_without_a_broker_refuses_in_one_line_before_simulating(tmp_path: Path, argv: list[str]) -> None:
    port = closed_port()
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP"}
    env["KPART_STATE_DIR"] = str(tmp_path / "no-cluster")
    started = time.monotonic()
    result = subprocess.run([*KPART, *(a.format(port=port) for a in argv), "--no-progress"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert time.monotonic() - started < 5 + 5  # 5 s of interpreter start-up on a loaded machine
    assert (result.returncode, result.stdout) == (2, "")
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("kpart: --live")
