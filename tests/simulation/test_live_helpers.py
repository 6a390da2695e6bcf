"""The broker-free parts of the live runner: topic renaming, one-by-one start, verdicts."""

from __future__ import annotations

import pytest

from kpart.simulation import parse_scenario, simulate
from kpart.simulation.events import AddPartitions, Join
from kpart.simulation.live import LiveError, LiveStep, one_by_one, rename_topics, run_live


def test_rename_topics_renames_every_reference() -> None:
    sc = parse_scenario({
        "topics": [{"name": "a", "partitions": 2}, {"name": "b", "partitions": 1}],
        "members": [{"name": "m", "topics": ["a"]}],
        "producer": {"topic": "a"},
        "events": [{"type": "join", "name": "n", "topics": ["b"]}, {"type": "subscribe", "member": "m",
                   "topics": ["a", "b"]}, {"type": "create_topic", "name": "c", "partitions": 1},
                   {"type": "add_partitions", "topic": "a", "partitions": 3}],
    })
    renamed = rename_topics(sc, "x")
    assert [t.name for t in renamed.topics] == ["a-x", "b-x"]
    assert renamed.members[0].topics == {"a-x"}
    assert renamed.producer is not None and renamed.producer.topic == "a-x"
    join, sub, create, grow = renamed.events
    assert isinstance(join, Join) and join.members[0].topics == {"b-x"}
    assert sub.topics == {"a-x", "b-x"} and create.topic.name == "c-x"
    assert isinstance(grow, AddPartitions) and grow.topic == "a-x"
    # range gives topic b's one partition to the first subscriber by member id: m before n
    assert sorted(simulate(renamed, "range").final_assignment["m"]) == ["a-x-0", "a-x-1", "a-x-2", "b-x-0"]


def test_one_by_one_starts_the_group_with_its_first_member() -> None:
    sc = parse_scenario({"topics": [{"name": "t", "partitions": 4}], "members": [{"count": 3}],
                         "events": [{"type": "leave", "member": "c1"}]})
    seq = one_by_one(sc)
    assert [m.name for m in seq.members] == ["c0"]
    assert [e.label for e in seq.events] == ["join c1", "join c2", "leave c1"]


def test_verdicts() -> None:
    a = {"x": ["t-0"], "y": ["t-1"]}
    assert LiveStep("s", a, a, 1, 1).verdict == "match"
    assert LiveStep("s", a, {"x": ["t-1"], "y": ["t-0"]}, 1, 1).verdict == "same up to member names"
    assert LiveStep("s", a, {"x": ["t-0", "t-1"], "y": []}, 1, 1).verdict == "DIFFERS"
    # the simulator lists t-9 before t-10; a consumer may report them in text order
    b = {"x": ["t-9", "t-10"], "y": ["t-2", "t-11"]}
    assert LiveStep("s", b, {"x": ["t-10", "t-9"], "y": ["t-11", "t-2"]}, 1, 1).verdict == "match"
    assert LiveStep("s", b, {"x": ["t-11", "t-2"], "y": ["t-10", "t-9"]}, 1, 1).verdict == (
        "same up to member names")


def test_events_that_cannot_run_live_are_refused_before_connecting() -> None:
    sc = parse_scenario({"brokers": {"count": 2, "racks": ["a", "b"]}, "topics": [{"name": "t",
                                                                                   "partitions": 2}],
                         "members": [{"count": 1}], "events": [{"type": "broker_outage", "brokers": [1]}]})
    with pytest.raises(LiveError, match="'brokers 1 down' cannot be run live"):
        run_live(sc, "range", "127.0.0.1:1")


def test_every_default_strategy_can_run_live() -> None:
    from kpart.simulation.live import check_live
    from kpart.simulation.protocols import DEFAULT_STRATEGIES

    sc = parse_scenario({"topics": [{"name": "t", "partitions": 2}], "members": [{"count": 1}]})
    check_live(sc, list(DEFAULT_STRATEGIES))  # raises for the first that cannot


def test_member_strategies_of_the_scenario_are_checked_for_live_runs_too() -> None:
    from kpart.simulation.live import LiveUnsupported, check_live

    sc = parse_scenario({"topics": [{"name": "t", "partitions": 2}], "members": [{"name": "a"}],
                         "events": [{"type": "join", "name": "b", "strategy": "cooperative-sticky@eager"}]})
    with pytest.raises(LiveUnsupported, match="'cooperative-sticky@eager' cannot run live"):
        check_live(sc, ["range"])
