"""Hostile scenario files: sizes, non-finite numbers, repeated keys, odd types and encodings.

Each case is refused up front with one line naming the file and the field, through the same
``kpart compare`` command a user runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kpart.cli import main
from kpart.simulation import ScenarioError, load_scenario, parse_scenario
from kpart.simulation.loading import LIMITS

TOPICS = "topics: [{name: t, partitions: 4}]\n"
MEMBERS = "members: [{count: 2}]\n"


def base(**overrides: object) -> dict:
    data: dict = {"topics": [{"name": "t", "partitions": 4}], "members": [{"count": 2}]}
    data.update(overrides)
    return data


def error_of(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return str(info.value)


def cli_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes) -> str:
    """``kpart compare FILE``'s stderr; asserts exit status 2, one line, no traceback, and under
    10 s of CPU (it refuses the input rather than building it)."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    started = time.process_time()  # CPU seconds: a busy machine stretches the wall clock, not these
    code = main(["compare", "--no-progress", str(path)])
    elapsed = time.process_time() - started
    out, err = capsys.readouterr()
    assert code == 2, out
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"kpart: {name}: "), err
    assert elapsed < 10, elapsed
    return err.removeprefix(f"kpart: {name}: ").rstrip("\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (f"topics: [{{name: t, partitions: {10**7}}}]\n{MEMBERS}",
         "topics[0].partitions: must be at most 100,000, got 10000000"),
        (f"topics: [{{name: t, partitions: {10**9}}}]\n{MEMBERS}",
         "topics[0].partitions: must be at most 100,000"),
        ("topics: [{name: a, partitions: 60000}, {name: b, partitions: 60000}]\n" + MEMBERS,
         "topics[1].partitions: 120,000 partitions in all topics; at most 100,000"),
        (f"{TOPICS}members: [{{count: {10**9}}}]\n", "members[0].count: must be at most 10,000"),
        (f"{TOPICS}members: [{{count: 6000}}, {{count: 6000}}]\n",
         "members[1].count: more than 10,000 member names in the scenario"),
        (f"brokers: {10**9}\n{TOPICS}{MEMBERS}", "brokers: must be at most 1,000"),
        (f"brokers: {{count: {10**9}}}\n{TOPICS}{MEMBERS}", "brokers.count: must be at most 1,000"),
        (f"{TOPICS}{MEMBERS}producer: {{topic: t, keys: {{count: {10**9}}}}}\n",
         "producer.keys.count: must be at most 1,000,000"),
        (f"{TOPICS}{MEMBERS}producer: {{topic: t, records: {10**30}}}\n",
         "producer.records: must be at most 1,000,000,000,000"),
        (f"{TOPICS}{MEMBERS}events: [{{type: add_partitions, topic: t, partitions: {10**9}}}]\n",
         "events[0].partitions: must be at most 100,000"),
        (f"{TOPICS}{MEMBERS}events: [{{type: create_topic, name: u, partitions: 99999}}]\n",
         "events[0].partitions: 100,003 partitions in all topics; at most 100,000"),
        (f"{TOPICS}{MEMBERS}events: [" + ", ".join(["{type: rolling_restart}"] * 1001) + "]\n",
         "events: at most 1,000 events, got 1,001"),
    ],
)
def test_oversized_scenarios_are_refused_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    assert cli_error(tmp_path, capsys, "big.yaml", content).startswith(message)


def test_the_largest_allowed_topic_still_loads() -> None:
    sc = parse_scenario(base(topics=[{"name": "t", "partitions": LIMITS["partitions"]}]))
    assert sc.topics[0].partitions == LIMITS["partitions"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([{"name": "a"}, {"name": "a"}], "members[1].name: member 'a' is already in the group"),
        ([{"count": 2}, {"name": "c1"}], "members[1].name: member 'c1' is already in the group"),
        ([{"name": "c1"}, {"count": 1, "prefix": "c"}, {"name": "c2"}],
         "members[2].name: member 'c2' is already in the group"),
    ],
)
def test_duplicate_member_names_are_refused(members: list, message: str) -> None:
    assert error_of(base(members=members)) == message


def test_distinct_members_all_survive() -> None:
    sc = parse_scenario(base(members=[{"name": "a"}, {"name": "b"}, {"count": 2}]))
    assert [m.name for m in sc.members] == ["a", "b", "c0", "c1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (f"{TOPICS}{MEMBERS}timing: {{session_timeout_s: .nan}}\n",
         "timing.session_timeout_s: must be a finite number, got nan"),
        (f"{TOPICS}{MEMBERS}timing: {{rebalance_round_s: .inf}}\n",
         "timing.rebalance_round_s: must be a finite number, got inf"),
        (f"{TOPICS}{MEMBERS}events: [{{type: crash, member: c0, at: .inf}}]\n",
         "events[0].at: must be a finite number, got inf"),
        (f"{TOPICS}{MEMBERS}events: [{{type: crash, member: c0, at: {10**400}}}]\n",
         "events[0].at: must be at most 1e+07"),
        (f"{TOPICS}{MEMBERS}events: [{{type: rolling_restart, interval_s: .NaN}}]\n",
         "events[0].interval_s: must be a finite number, got nan"),
        (f"{TOPICS}{MEMBERS}producer: {{topic: t, rate_per_s: .inf}}\n",
         "producer.rate_per_s: must be a finite number, got inf"),
        (f"{TOPICS}{MEMBERS}producer: {{topic: t, keys: {{distribution: zipf, exponent: .nan}}}}\n",
         "producer.keys.exponent: must be a finite number, got nan"),
        (f"{TOPICS}{MEMBERS}producer: {{topic: t, linger_ms: -.inf}}\n",
         "producer.linger_ms: must be a finite number, got -inf"),
    ],
)
def test_non_finite_numbers_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    assert cli_error(tmp_path, capsys, "nan.yaml", content).startswith(message)


def test_json_nan_and_infinity_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = json.dumps(base(timing={"session_timeout_s": float("nan")}))
    assert cli_error(tmp_path, capsys, "nan.json", text) == "not valid JSON: NaN is not a number"
    text = json.dumps(base(events=[{"type": "crash", "member": "c0", "at": float("inf")}]))
    assert cli_error(tmp_path, capsys, "inf.json", text) == "not valid JSON: Infinity is not a number"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (base(brokers=3, topics=[{"name": "t", "partitions": 4, "replication": 5}]),
         "topics[0].replication: 5 replicas need 5 brokers; the scenario has 3"),
        (base(brokers=[{"id": 0}], events=[{"type": "create_topic", "name": "u", "partitions": 2,
                                             "replication": 2}]),
         "events[0].replication: 2 replicas need 2 brokers; the scenario has 1"),
    ],
)
def test_replication_above_the_broker_count_is_refused(data: dict, message: str) -> None:
    assert error_of(data) == message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (f"{TOPICS}{MEMBERS}topics: [{{name: u, partitions: 8}}]\n",
         "not valid YAML: line 3, column 1: duplicate key 'topics'"),
        (f"{TOPICS}{MEMBERS}events:\n  - type: crash\n    member: c0\n    member: c1\n",
         "not valid YAML: line 6, column 5: duplicate key 'member'"),
        (f"{TOPICS}{MEMBERS}timing: {{session_timeout_s: 10, session_timeout_s: 45}}\n",
         "not valid YAML: line 3, column 33: duplicate key 'session_timeout_s'"),
    ],
)
def test_duplicate_yaml_keys_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    assert cli_error(tmp_path, capsys, "dup.yaml", content) == message


def test_yaml_merge_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text(f"{TOPICS}members: [{{count: 1}}]\n"
                    "events:\n  - &j {type: join, name: x, static: true}\n  - {<<: *j, name: y}\n")
    sc = load_scenario(path)
    assert [m.name for m in sc.members] == ["c0"] and len(sc.events) == 2


def test_duplicate_json_keys_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = '{"topics": [{"name": "t", "partitions": 4}], "members": [{"count": 1}], "members": []}'
    assert cli_error(tmp_path, capsys, "dup.json", text) == "not valid JSON: duplicate key 'members'"


@pytest.mark.parametrize(
    ("brokers", "message"),
    [
        ([True], "events[0].brokers[0]: must be an integer >= 0, got True"),
        ([1.0], "events[0].brokers[0]: must be an integer >= 0, got 1.0"),
        (["1"], "events[0].brokers[0]: must be an integer >= 0, got '1'"),
        ([[1]], "events[0].brokers[0]: must be an integer >= 0, got [1]"),
        ([1, 1], "events[0].brokers[1]: unknown or already down broker 1"),
    ],
)
def test_broker_outage_takes_broker_ids_only(brokers: list, message: str) -> None:
    assert error_of(base(events=[{"type": "broker_outage", "brokers": brokers}])) == message


@pytest.mark.parametrize("kind", [["join"], {"join": 1}, 7, None])
def test_non_string_event_type_is_named(kind: object) -> None:
    assert error_of(base(events=[{"type": kind}])).startswith("events[0].type: unknown event type ")


@pytest.mark.parametrize(
    ("name", "content"),
    [("deep.yaml", "topics: " + "[" * 20_000 + "]" * 20_000 + "\n"),
     ("deep.json", '{"topics": ' + "[" * 100_000 + "]" * 100_000 + "}")],
)
def test_deep_nesting_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str
) -> None:
    message = cli_error(tmp_path, capsys, name, content)
    assert message.startswith(("nested too deeply", "not valid")), message


def test_deeply_nested_value_is_shown_short() -> None:
    value: list = []
    for _ in range(5000):
        value = [value]
    message = error_of(base(seed=value))
    assert message.startswith("seed: must be an integer, got [[[[") and len(message) < 120


def test_non_utf8_file_names_the_file_and_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = TOPICS.encode() + b"name: caf\xe9\n" + MEMBERS.encode()
    assert cli_error(tmp_path, capsys, "latin1.yaml", content) == "not UTF-8 text (line 2 has byte 0xe9)"


def test_negative_seed_is_named_not_numpy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_error(tmp_path, capsys, "seed.yaml", f"seed: -1\n{TOPICS}{MEMBERS}") == \
        "seed: must be an integer >= 0, got -1"


def test_empty_key_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keys.txt").write_bytes(b"\n\n")
    content = f"{TOPICS}{MEMBERS}producer: {{topic: t, keys: {{distribution: file, file: keys.txt}}}}\n"
    assert cli_error(tmp_path, capsys, "k.yaml", content) == \
        "producer.keys.file: keys.txt holds no key (one key per non-empty line)"
