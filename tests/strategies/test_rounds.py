"""The one cooperative round driver: what members send each round, when it stops, when it gives up."""

from __future__ import annotations

import pytest

from strategies import (
    Assignor,
    ClusterMetadata,
    CooperativeStickyAssignor,
    GroupAssignment,
    GroupSubscription,
    StickyAssignor,
    TopicPartition,
    cooperative_rounds,
    rebalance_rounds,
)
from strategies.codec import encode_generation, encode_sticky
from tests.strategies.strategies_testkit import cluster, group, member, tps


def test_members_rejoin_owning_their_assignment_at_the_next_generation_with_fresh_user_data() -> None:
    owned = tps(*(f"tp{i}" for i in range(6)))
    g = group(member("A", ["t"], owned_partitions=owned, generation=4, user_data=encode_generation(4)),
              member("B", ["t"]), member("C", ["t"]))
    rounds = list(cooperative_rounds(CooperativeStickyAssignor(), g, cluster(t=6), generation=5))
    assert len(rounds) == 2 and [r.number for r in rounds] == [0, 1]
    first, second = rounds
    assert first.group == dict(g)
    assert first.revoked == {"A": tuple(sorted(set(owned) - set(first.assignment.owned["A"])))}
    for m, sub in second.group.items():
        assert sub.owned_partitions == first.assignment.owned[m]
        assert sub.generation == 5
        assert sub.user_data == encode_generation(5)
    assert second.revoked == {}


def test_user_data_follows_the_assignor_encoding_of_the_new_ownership() -> None:
    owned = tps(*(f"tp{i}" for i in range(4)))
    g = group(member("A", ["t"], owned_partitions=owned, generation=2), member("B", ["t"]))
    assignor = StickyAssignor()
    rounds = list(cooperative_rounds(assignor, g, cluster(t=4), generation=3))
    assert len(rounds) == 2
    for m, sub in rounds[1].group.items():
        assert sub.user_data == encode_sticky(rounds[0].assignment.owned[m], 3)


def test_rebalance_rounds_is_the_assignments_of_the_rounds() -> None:
    owned = tps(*(f"tp{i}" for i in range(4)))
    g = group(member("A", ["t"], owned_partitions=owned, generation=5), member("B", ["t"]))
    rounds = list(cooperative_rounds(CooperativeStickyAssignor(), g, cluster(t=4), generation=6))
    assert rebalance_rounds(CooperativeStickyAssignor(), g, cluster(t=4), generation=6) == \
        [r.assignment for r in rounds]


class _Flipping(Assignor):
    """Hands every partition to whichever member did not own it: never settles."""

    name = "flipping"

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        a, b = sorted(group)
        owner = b if group[a].owned_partitions else a
        every = [TopicPartition(t, p) for t, n in cluster.partition_counts.items() for p in range(n)]
        return GroupAssignment.of({a: every if owner == a else (), b: every if owner == b else ()})


def test_a_group_that_never_settles_raises_after_max_rounds() -> None:
    g = group(member("A", ["t"], owned_partitions=tps("tp0", "tp1")), member("B", ["t"]))
    seen = []
    with pytest.raises(RuntimeError, match="flipping did not settle within 3 cooperative rounds"):
        for r in cooperative_rounds(_Flipping(), g, cluster(t=2), generation=1, max_rounds=3):
            seen.append(r.number)
    assert seen == [0, 1, 2]
