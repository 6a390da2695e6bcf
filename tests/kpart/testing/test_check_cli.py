"""``kpart check``: table or JSON, exit status 0 / 1 / 2, one line for bad input."""

from __future__ import annotations

import json

import pytest

from kpart.cli import main


def test_passing_partitioner_prints_a_table_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "partitioning.java:Murmur2Partitioner", "--reference", "murmur2",
                 "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "agrees_with_murmur2" in out and "0 failed" in out


def test_broken_assignor_fails_with_json_naming_the_property(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "examples/broken_assignor.py:KeepEverythingAssignor", "--json", "--seed", "2",
                 "--property", "nothing_of_an_unsubscribed_or_missing_topic"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["ok"] is False
    (result,) = report["results"]
    assert result["verdict"] == "FAIL" and "def test_nothing_of_an_unsubscribed" in result["regression"]


def test_claims_from_the_command_line_become_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "strategies:RangeAssignor", "--claim", "balance=1", "--seed", "3",
                 "--property", "counts_within_the_claimed_bound_with_identical_subscriptions"])
    assert code == 1 and "counts differ by" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "words"), [
    (["check", "no_such_module:X"], "no module named 'no_such_module'"),
    (["check", "strategies"], "expected MODULE:OBJECT"),
    (["check", "missing/file.py:X"], "no such file"),
    (["check", "strategies:TopicPartition"], "neither an assignor nor a partitioner"),
    (["check", "strategies:StickyAssignor", "--claim", "fast=1"], "unknown claim 'fast'"),
    (["check", "strategies:StickyAssignor", "--protocol", "cooperative"], "does not support"),
    (["check", "strategies:StickyAssignor", "--reference", "murmur2"], "applies to partitioners"),
    (["check", "partitioning.java:Murmur2Partitioner", "--reference", "md5"], "unknown reference"),
    (["check", "partitioning.field:FieldPartitioner"], "needs arguments"),
])
def test_bad_input_is_one_line_and_exit_2(argv: list[str], words: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "networkx" else real(name, *a))
    assert main(["check", "strategies:StickyAssignor"]) == 2
    assert "pip install 'kpart[testing]' (missing: networkx)" in capsys.readouterr().err
