"""The assignor conformance suite: ours pass, deliberately broken ones fail, naming the property."""

from __future__ import annotations

import textwrap

import pytest

from kpart.testing import ConformanceError, check_assignor, replay
from kpart.testing.suite import Profile
from strategies import CooperativeStickyAssignor, RangeAssignor, StickyAssignor

SMALL = Profile("ci", examples=30, churn_steps=8, speed_members=(100, 1000), shrink_seconds=3.0)
BROKEN = "tests.kpart.testing.broken"


def failed(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.property for r in report.failures}


def test_sticky_passes_every_property_with_its_claims() -> None:
    report = check_assignor(StickyAssignor, profile=SMALL, seed=1)
    assert report.ok
    verdicts = {r.property: r.verdict for r in report.results}
    assert verdicts["fewest_moves_of_any_balanced_assignment"] == "pass"  # claimed: a verdict
    assert verdicts["moves_beyond_the_optimum_with_mixed_subscriptions"] == "figure"
    assert "1000 members" in next(r for r in report.results if r.property == "speed_envelope").figures


@pytest.mark.parametrize("target", ["strategies:RangeAssignor", "strategies:RoundRobinAssignor"])
def test_eager_builtins_pass_every_property(target: str) -> None:
    assert check_assignor(target, profile=SMALL, seed=2).ok


def test_cooperative_sticky_passes_the_cooperative_properties() -> None:
    report = check_assignor(CooperativeStickyAssignor, profile=SMALL, seed=3, raise_on_failure=False)
    assert failed(report) == set()
    assert {r.property for r in report.results} >= {
        "never_hands_out_a_partition_another_member_still_owns", "settles_within_the_claimed_rounds"}


def test_cooperative_sticky_wastes_no_revocations() -> None:
    check_assignor(CooperativeStickyAssignor, seed=1, properties=["no_wasted_revocations"])


def test_claims_are_verdicts_and_unclaimed_ones_figures() -> None:
    claimed = check_assignor(RangeAssignor, profile=SMALL, seed=4, claims={"balance": 1},
                             properties=["counts_within_the_claimed_bound_with_identical_subscriptions"],
                             raise_on_failure=False)
    assert failed(claimed) == {"counts_within_the_claimed_bound_with_identical_subscriptions"}
    assert "counts differ by" in claimed.failures[0].detail
    unclaimed = check_assignor(RangeAssignor, profile=SMALL, seed=4,
                               properties=["counts_within_the_claimed_bound_with_identical_subscriptions"])
    assert unclaimed.results[0].verdict == "figure"
    assert unclaimed.results[0].figures["largest spread"] >= 2


@pytest.mark.parametrize(("target", "prop", "words"), [
    ("examples/broken_assignor.py:KeepEverythingAssignor",
     "nothing_of_an_unsubscribed_or_missing_topic", "does not"),
    ("examples/broken_assignor.py:KeepEverythingAssignor",
     "tolerates_corrupt_truncated_foreign_and_oversized_user_data", "owns"),
    (f"{BROKEN}:MemberOrderAssignor", "same_input_same_output_whatever_the_member_order",
     "gave a different assignment"),
    (f"{BROKEN}:EagerInDisguiseAssignor", "never_hands_out_a_partition_another_member_still_owns",
     "still owns it"),
    (f"{BROKEN}:CrashOnUserDataAssignor",
     "tolerates_corrupt_truncated_foreign_and_oversized_user_data", "assign raised"),
    (f"{BROKEN}:ClaimsTooMuchAssignor", "fewest_moves_of_any_balanced_assignment",
     "a balanced assignment needs only"),
    ("kafka.coordinator.assignors.roundrobin:RoundRobinPartitionAssignor",
     "every_subscribed_partition_owned_exactly_once", "assign raised KeyError"),
])
def test_broken_assignor_fails_the_right_property(target: str, prop: str, words: str) -> None:
    with pytest.raises(ConformanceError) as err:
        check_assignor(target, profile=SMALL, seed=5, properties=[prop])
    (result,) = err.value.report.failures
    assert result.property == prop and words in result.detail
    assert result.regression is not None and f"def test_{prop}_regression" in result.regression


def test_regression_case_is_ready_to_paste(pytester: pytest.Pytester) -> None:
    report = check_assignor(f"{BROKEN}:EagerInDisguiseAssignor", profile=SMALL, seed=6,
                            properties=["never_hands_out_a_partition_another_member_still_owns"],
                            raise_on_failure=False)
    (result,) = report.failures
    assert result.regression is not None
    pytester.makepyfile(test_pasted=result.regression)
    outcome = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    outcome.assert_outcomes(failed=1)
    assert "still owns it" in outcome.stdout.str()
    # The same case passes against an assignor that withholds what moves.
    fixed = result.regression.replace(f"'{BROKEN}:EagerInDisguiseAssignor'",
                                      "'strategies:CooperativeStickyAssignor'")
    pytester.makepyfile(test_pasted=fixed)
    pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_replay_names_unknown_properties() -> None:
    from kpart.testing import Case
    from kpart.testing.targets import TargetError
    from strategies import ClusterMetadata

    with pytest.raises(TargetError, match="unknown property"):
        replay(StickyAssignor, "no_such_property", Case(ClusterMetadata({}), {}))


def test_protocol_must_be_supported() -> None:
    from kpart.testing.targets import TargetError

    with pytest.raises(TargetError, match="does not support the COOPERATIVE protocol"):
        check_assignor(StickyAssignor, "cooperative")


def test_kafka_python_sticky_is_checked_through_its_own_user_data() -> None:
    report = check_assignor("kafka.coordinator.assignors.sticky.sticky_assignor:StickyPartitionAssignor",
                            profile=SMALL, seed=7, properties=[
                                "every_subscribed_partition_owned_exactly_once",
                                "converges_under_long_random_churn"])
    assert report.ok and len(report.results) == 2


def test_example_custom_assignor_is_loaded_from_its_file() -> None:
    report = check_assignor("examples/custom_assignor.py:PinnedAssignor", profile=SMALL, seed=8,
                            properties=["every_subscribed_partition_owned_exactly_once",
                                        "never_hands_out_a_partition_another_member_still_owns"])
    assert report.ok
    assert textwrap.dedent(report.settings["protocol"]) == "cooperative"


def test_an_instance_is_named_by_its_class_in_the_regression_case() -> None:
    from tests.kpart.testing.broken import EagerInDisguiseAssignor

    report = check_assignor(EagerInDisguiseAssignor(), profile=SMALL, seed=6, raise_on_failure=False,
                            properties=["never_hands_out_a_partition_another_member_still_owns"])
    (result,) = report.failures
    assert f"replay('{BROKEN}:EagerInDisguiseAssignor', " in (result.regression or "")
