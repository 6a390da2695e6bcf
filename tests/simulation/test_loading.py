"""Scenario loading and validation: every bad field is named in the error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpart.simulation import ScenarioError, load_scenario, parse_scenario
from kpart.simulation.events import Crash, Join, RackOutage, RollingRestart

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def base(**overrides: object) -> dict:
    data: dict = {"topics": [{"name": "t", "partitions": 4}], "members": [{"count": 2}]}
    data.update(overrides)
    return data


def error_of(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return str(info.value)


def test_unknown_member_is_named_with_its_event_index() -> None:
    events = [{"type": "join", "name": "c5"}, {"type": "leave", "member": "c0"},
              {"type": "crash", "member": "c1"}, {"type": "leave", "member": "c9"}]
    assert error_of(base(events=events)) == "events[3].member: unknown member 'c9'"


def test_member_that_crashed_cannot_act_again() -> None:
    events = [{"type": "crash", "member": "c0"}, {"type": "leave", "member": "c0"}]
    assert error_of(base(events=events)) == "events[1].member: member 'c0' already crashed at events[0]"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (base(topics=[{"name": "t", "partitions": 0}]),
         "topics[0].partitions: must be an integer >= 1, got 0"),
        (base(topics=[{"name": "t", "partitions": "6"}]),
         "topics[0].partitions: must be an integer >= 1, got '6'"),
        (base(topics=[{"name": "t"}]), "topics[0].partitions: is required"),
        ({"members": [{"count": 1}]}, "topics: is required"),
        (base(members=[]), "members: at least one member is needed"),
        (base(members=[{"count": 1, "topics": ["nope"]}]), "members[0].topics[0]: unknown topic 'nope'"),
        (base(colour="red"), "colour: unknown field; expected one of name, description, seed, timing, "
                             "brokers, topics, members, producer, events"),
        (base(events=[{"type": "explode"}]), "events[0].type: unknown event type 'explode'; expected one of "
                                             "join, leave, crash, rolling_restart, static_bounce, subscribe, "
                                             "create_topic, add_partitions, broker_outage, rack_outage"),
        (base(events=[{"type": "leave"}]), "events[0].member: is required"),
        (base(events=[{"type": "leave", "member": "c0", "membr": 1}]),
         "events[0].membr: unknown field; expected one of type, at, member"),
        (base(events=[{"type": "join", "at": 50, "name": "x"}, {"type": "join", "at": 10, "name": "y"}]),
         "events[1].at: events must be in time order; 10 is before 50"),
        (base(events=[{"type": "join", "name": "c1"}]),
         "events[0].name: member 'c1' is already in the group"),
        (base(events=[{"type": "static_bounce", "member": "c0"}]),
         "events[0].member: member 'c0' is not static (set static: true)"),
        (base(events=[{"type": "add_partitions", "topic": "t", "partitions": 4}]),
         "events[0].partitions: must be more than the current 4 of 't'"),
        (base(events=[{"type": "create_topic", "name": "t", "partitions": 2}]),
         "events[0].name: topic 't' already exists"),
        (base(brokers={"count": 3, "racks": ["a", "b"]}, members=[{"name": "m", "rack": "z"}]),
         "members[0].rack: unknown rack 'z'; brokers are in a, b"),
        (base(events=[{"type": "rack_outage", "rack": "q"}]),
         "events[0].rack: unknown rack 'q' (or all its brokers are down)"),
        (base(events=[{"type": "broker_outage", "brokers": [7]}]),
         "events[0].brokers[0]: unknown or already down broker 7"),
        (base(timing={"session_timeout_s": -1}), "timing.session_timeout_s: must be a number > 0, got -1"),
        (base(producer={"topic": "t", "partitioner": "nope"}),
         "producer.partitioner: unknown partitioner 'nope'"),
        (base(producer={"topic": "t", "keys": {"distribution": "pareto"}}),
         "producer.keys.distribution: must be one of uniform, zipf, file, got 'pareto'"),
        (base(seed=1.5), "seed: must be an integer, got 1.5"),
    ],
)
def test_bad_field_is_named(data: dict, message: str) -> None:
    assert error_of(data).startswith(message)


def test_batch_members_are_numbered_after_existing_names_and_cycle_racks() -> None:
    sc = parse_scenario(base(brokers={"count": 2, "racks": ["a", "b"]},
                             members=[{"count": 3, "racks": ["a", "b"]}],
                             events=[{"type": "join", "count": 2, "racks": ["b"], "static": True}]))
    assert [(m.name, m.rack) for m in sc.members] == [("c0", "a"), ("c1", "b"), ("c2", "a")]
    join = sc.events[0]
    assert isinstance(join, Join)
    assert [(m.name, m.rack, m.static) for m in join.members] == [("c3", "b", True), ("c4", "b", True)]


def test_events_without_at_are_spaced_by_the_event_interval() -> None:
    sc = parse_scenario(base(timing={"event_interval_s": 10},
                             events=[{"type": "join", "name": "x"}, {"type": "crash", "at": 35,
                                                                     "member": "x"},
                                     {"type": "join", "name": "y"}]))
    assert [e.at for e in sc.events] == [10.0, 35.0, 45.0]
    assert isinstance(sc.events[1], Crash)


def test_rolling_restart_all_means_the_members_at_that_moment() -> None:
    sc = parse_scenario(base(events=[{"type": "join", "name": "x"}, {"type": "leave", "member": "c0"},
                                     {"type": "rolling_restart"}]))
    restart = sc.events[2]
    assert isinstance(restart, RollingRestart)
    assert restart.members == ("c1", "x")


def test_rack_outage_removes_that_racks_members_from_the_group() -> None:
    data = base(brokers={"count": 2, "racks": ["a", "b"]}, members=[{"count": 2, "racks": ["a", "b"]}],
                events=[{"type": "rack_outage", "rack": "a"}, {"type": "leave", "member": "c0"}])
    assert error_of(data) == "events[1].member: member 'c0' already went down with rack 'a' at events[0]"
    data["events"] = data["events"][:1]
    assert isinstance(parse_scenario(data).events[0], RackOutage)


def test_yaml_and_json_files_load_the_same(tmp_path: Path) -> None:
    data = base(events=[{"type": "join", "name": "x"}])
    (tmp_path / "s.json").write_text(json.dumps(data))
    (tmp_path / "s.yaml").write_text("topics: [{name: t, partitions: 4}]\nmembers: [{count: 2}]\n"
                                     "events:\n  - {type: join, name: x}\n")
    from_json, from_yaml = load_scenario(tmp_path / "s.json"), load_scenario(tmp_path / "s.yaml")
    assert from_json.members == from_yaml.members and from_json.events == from_yaml.events
    assert from_json.name == "s"


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("topics: [{name: t, partitions: 4}]\nmembers: [{count: 1}]\n"
                    "events: [{type: leave, member: c9}]\n")
    with pytest.raises(ScenarioError, match=r"^bad\.yaml: events\[0\]\.member: unknown member 'c9'$"):
        load_scenario(path)
    (tmp_path / "broken.yaml").write_text("topics: [\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(tmp_path / "broken.yaml")
    with pytest.raises(ScenarioError, match="cannot read the scenario"):
        load_scenario(tmp_path / "missing.yaml")


def test_key_file_is_resolved_next_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "keys.txt").write_text("a\nb\na\n")
    (tmp_path / "s.yaml").write_text("topics: [{name: t, partitions: 4}]\nmembers: [{count: 1}]\n"
                                     "producer: {topic: t, keys: {distribution: file, file: keys.txt}}\n")
    sc = load_scenario(tmp_path / "s.yaml")
    assert sc.producer is not None and sc.producer.keys.file == tmp_path / "keys.txt"
    (tmp_path / "s.yaml").write_text("topics: [{name: t, partitions: 4}]\nmembers: [{count: 1}]\n"
                                     "producer: {topic: t, keys: {distribution: file, file: gone.txt}}\n")
    with pytest.raises(ScenarioError, match=r"producer\.keys\.file: no such key file"):
        load_scenario(tmp_path / "s.yaml")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_example_scenarios_are_valid(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.events and sc.members
