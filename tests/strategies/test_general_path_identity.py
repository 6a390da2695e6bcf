"""The sticky engine's general path gives exactly the assignment of its frozen predecessor
(``frozen_balance``, the engine before it was sped up) for every input: mixed and identical
subscriptions, fresh groups and claims (contested, gone, unsubscribed), racks or none, topic
names whose Java and Python orders differ, members left with no assignable topic; with the
compiled core and with its pure-Python twins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import strategies.balance as balance
from strategies import ClusterMetadata, MemberSubscription, StickyAssignor, TopicPartition
from tests.strategies import frozen_balance

# "\uff01" sorts after "\U0001f600" in Java's UTF-16 order, before it in Python's.
NAMES = ("a", "b", "c", "d", "\uff01", "\U0001f600")
RACKS = ("r0", "r1", "r2")


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, MemberSubscription], ClusterMetadata, bool]:
    topics = list(NAMES[:draw(st.integers(1, len(NAMES)))])
    counts = {t: draw(st.integers(0, 25)) for t in topics}
    parts = [TopicPartition(t, p) for t in topics for p in range(counts[t])]
    with_racks = draw(st.booleans())
    replica_racks = {tp: frozenset(draw(st.lists(st.sampled_from(RACKS), max_size=2)))
                     for tp in parts} if with_racks else {}
    fresh = draw(st.booleans())
    claimable = [TopicPartition(t, p) for t in topics for p in range(counts[t] + 2)]
    group: dict[str, MemberSubscription] = {}
    for i in range(draw(st.integers(0, 14))):
        member = f"m{draw(st.integers(0, 99)):02d}-{i}"
        subs = frozenset(draw(st.lists(st.sampled_from(topics + ["gone"]), min_size=1,
                                       unique=True)))
        owned = () if fresh else tuple(draw(st.lists(st.sampled_from(claimable), max_size=10,
                                                     unique=True)))
        group[member] = MemberSubscription(
            member, subs, owned_partitions=owned, generation=draw(st.integers(-1, 2)),
            rack=draw(st.sampled_from((None, *RACKS))) if with_racks else None,
            group_instance_id=f"i{99 - i}" if draw(st.booleans()) else None)
    return group, ClusterMetadata(counts, replica_racks), draw(st.booleans())


def assert_same(group: dict[str, MemberSubscription], cluster: ClusterMetadata,
                move_kept: bool) -> None:
    claims_of = StickyAssignor().claims_of
    new = balance.sticky_assignment(group, cluster, claims_of, "sticky", move_kept)
    old = frozen_balance.sticky_assignment(group, cluster, claims_of, "sticky", move_kept)
    assert dict(new.owned) == dict(old.owned)
    assert all(list(tps) == sorted(tps) for tps in new.owned.values())


@pytest.fixture(params=["compiled", "pure"])
def core(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run with the compiled core, then with the pure-Python twins in its place."""
    saved = balance._stickyext
    if request.param == "pure":
        balance._stickyext = None
    else:
        assert saved is not None, "strategies._stickyext missing: reinstall with pip install -e ."
    try:
        yield request.param
    finally:
        balance._stickyext = saved


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_general_path_matches_its_frozen_predecessor(
        core: str, case: tuple[dict[str, MemberSubscription], ClusterMetadata, bool]) -> None:
    assert_same(*case)


@example(members=1000, per_topic=1000, seed=7)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(members=st.integers(50, 400), per_topic=st.integers(20, 400), seed=st.integers(0, 99))
def test_large_fresh_groups_match(core: str, members: int, per_topic: int, seed: int) -> None:
    import random
    rnd = random.Random(seed)
    names = [f"topic-{i:02d}" for i in range(10)]
    group = {f"c-{i:04d}": MemberSubscription(f"c-{i:04d}",
                                               frozenset(rnd.sample(names, rnd.randint(1, 10))))
             for i in range(members)}
    assert_same(group, ClusterMetadata(dict.fromkeys(names, per_topic)), True)
