"""The partitioner conformance suite: ours pass, deliberately broken ones fail, naming the property."""

from __future__ import annotations

import pytest

from kpart.testing import ConformanceError, check_partitioner
from kpart.testing.suite import Profile

SMALL = Profile("ci", examples=40, churn_steps=1, speed_members=(), shrink_seconds=3.0)
BROKEN = "tests.kpart.testing.broken"


@pytest.mark.parametrize(("target", "reference"), [
    ("partitioning.java:Murmur2Partitioner", "murmur2"),
    ("partitioning.librdkafka:fnv1a_partitioner", "fnv1a"),
    ("partitioning.librdkafka:consistent", "consistent"),
    ("partitioning.librdkafka:consistent_random", "consistent_random"),  # empty key = null key
    ("partitioning.sticky:UniformStickyPartitioner", None),
    ("kafka.partitioner.default:DefaultPartitioner", "murmur2"),
])
def test_shipped_partitioners_pass(target: str, reference: str | None) -> None:
    report = check_partitioner(target, reference=reference, profile=SMALL, seed=1)
    assert report.ok
    verdicts = {r.property: r.verdict for r in report.results}
    if reference:
        assert verdicts[f"agrees_with_{reference}"] == "pass"
        assert verdicts["keyed_partition_is_the_same_in_another_process"] == "pass"


def test_keyless_partitioners_are_classified_not_keyed() -> None:
    report = check_partitioner("partitioning.round_robin:RoundRobinPartitioner", profile=SMALL, seed=2)
    verdicts = {r.property: r.verdict for r in report.results}
    assert verdicts["keyed_partition_is_the_same_in_another_process"] == "n/a"
    assert verdicts["keyless_records_go_to_available_partitions"] == "pass"


@pytest.mark.parametrize(("target", "prop", "words"), [
    (f"{BROKEN}:HashSeedPartitioner", "keyed_partition_is_the_same_in_another_process", "PYTHONHASHSEED"),
    (f"{BROKEN}:OffByOnePartitioner", "result_is_a_partition_of_the_topic", "not one of the topic's"),
    (f"{BROKEN}:SkewedPartitioner", "keys_spread_uniformly", "chi-square"),
    (f"{BROKEN}:AvailabilityKeyedPartitioner", "keyed_partition_ignores_availability", "available"),
])
def test_broken_partitioner_fails_the_right_property(target: str, prop: str, words: str) -> None:
    with pytest.raises(ConformanceError) as err:
        check_partitioner(target, profile=SMALL, seed=3, properties=[prop])
    (result,) = err.value.report.failures
    assert result.property == prop and words in result.detail


def test_a_mapping_is_judged_against_the_named_reference() -> None:
    report = check_partitioner("partitioning.java:Murmur2Partitioner", reference="fnv1a",
                               profile=SMALL, seed=4, properties=["agrees_with_fnv1a"],
                               raise_on_failure=False)
    assert [r.property for r in report.failures] == ["agrees_with_fnv1a"]


def test_skew_is_a_figure_when_uniformity_is_not_claimed() -> None:
    report = check_partitioner(f"{BROKEN}:SkewedPartitioner", claims={"uniform": False},
                               profile=SMALL, seed=5, properties=["keys_spread_uniformly"])
    assert report.results[0].verdict == "figure"
    assert report.results[0].figures["largest chi-square / critical"] > 1
