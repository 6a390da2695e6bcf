"""Our sticky and cooperative-sticky against Java's on the same seeded churn, racks and not.

Ours must be valid and no worse than Java's: no less balanced, no more partitions moved, rack
locality at least Java's, and (cooperative) no partition revoked in one round and handed back
to the same member in the next.
"""

from __future__ import annotations

import functools

import pytest

import strategies
from kpart.reference import JavaReference
from tests.reference.sidebyside import CASES, STEPS, Figures, churns, side_by_side

pytestmark = pytest.mark.integration

@functools.cache
def figures(java: JavaReference, name: str, case: str) -> tuple[Figures, Figures]:
    return side_by_side(java, strategies.get_assignor(name), name, churns(case), STEPS)


NAMES = ("sticky", "cooperative-sticky")


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", NAMES)
def test_ours_and_javas_assignments_are_valid(java: JavaReference, name: str, case: str) -> None:
    ours, theirs = figures(java, name, case)
    assert theirs.invalid == [], "the reference itself gave invalid assignments"
    assert ours.invalid == []


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", NAMES)
def test_ours_is_no_less_balanced_than_javas(java: JavaReference, name: str, case: str) -> None:
    ours, theirs = figures(java, name, case)
    assert ours.spread <= theirs.spread, f"summed spread: ours {ours.spread}, Java {theirs.spread}"


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", NAMES)
def test_ours_moves_no_more_partitions_than_javas(java: JavaReference, name: str, case: str) -> None:
    ours, theirs = figures(java, name, case)
    assert ours.moved <= theirs.moved, f"partitions moved: ours {ours.moved}, Java {theirs.moved}"


@pytest.mark.parametrize("case", ["racks", "racks, mixed subscriptions"])
@pytest.mark.parametrize("name", NAMES)
def test_ours_rack_locality_is_at_least_javas(java: JavaReference, name: str, case: str) -> None:
    ours, theirs = figures(java, name, case)
    assert theirs.judged > 0
    summary = f"rack locality: ours {ours.locality:.1%}, Java {theirs.locality:.1%}"
    assert ours.locality >= theirs.locality, summary


@pytest.mark.parametrize("case", CASES)
def test_cooperative_never_revokes_a_partition_only_to_hand_it_back(java: JavaReference, case: str) -> None:
    ours, theirs = figures(java, "cooperative-sticky", case)
    assert ours.wasted == 0, f"ours: {ours.wasted} partitions revoked and handed back (Java: {theirs.wasted})"
