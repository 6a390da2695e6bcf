"""Cooperative-sticky never revokes a partition it then hands back to the same member.

The round-1 target is the one round 2 confirms: a member revokes only partitions that end the
rebalance on another member. Checked on a fixed example and over random churn (joins, leaves,
static restarts, subscription changes, partition growth, with and without racks).
"""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from strategies import (
    ClusterMetadata,
    CooperativeStickyAssignor,
    GroupAssignment,
    MemberSubscription,
    TopicPartition,
    rebalance_rounds,
)
from strategies.core import GroupSubscription
from tests.strategies.invariants import assert_balanced, assert_valid

TOPICS = ["t0", "t1", "t2", "t3"]
RACKS = ["r0", "r1", "r2"]


def wasted_revocations(group: GroupSubscription, rounds: list[GroupAssignment]) -> list[str]:
    """Partitions some member revoked during the rebalance and still owns at its end."""
    final = rounds[-1].owned
    out = []
    holding = {m: set(s.owned_partitions) for m, s in group.items()}
    for a in rounds:
        for m, held in holding.items():
            lost = held - set(a.owned.get(m, ()))
            out += [f"{tp} revoked by {m} and handed back" for tp in lost
                    if tp in final.get(m, ())]
        holding = {m: set(tps) for m, tps in a.owned.items()}
    return out


def test_revoked_partition_is_not_handed_back_to_its_owner() -> None:
    tp = TopicPartition
    meta = ClusterMetadata({"t0": 6, "t1": 12, "t2": 7})
    group = {
        "m0": MemberSubscription("m0", {"t0", "t1"}, owned_partitions=(tp("t0", 4),),
                                 generation=25, group_instance_id="i0"),
        "m1": MemberSubscription("m1", {"t0", "t2"}, generation=25),
        "m2": MemberSubscription("m2", {"t0", "t1", "t2"}, owned_partitions=(tp("t2", 6),),
                                 generation=25, group_instance_id="i1"),
        "m3": MemberSubscription("m3", {"t2"}),
    }
    rounds = rebalance_rounds(CooperativeStickyAssignor(), group, meta, generation=26)
    assert len(rounds) <= 2
    assert wasted_revocations(group, rounds) == []
    assert tp("t0", 4) in rounds[0].owned["m0"]
    assert_valid(group, meta, rounds[-1])
    assert_balanced(group, rounds[-1])


class RevocationChurn(RuleBasedStateMachine):
    """Random churn of a cooperative group; every rebalance must waste no revocation."""

    @initialize(counts=st.fixed_dictionaries({t: st.integers(1, 12) for t in TOPICS}),
                racked=st.booleans(), seed=st.integers(0, 2**16))
    def start(self, counts: dict[str, int], racked: bool, seed: int) -> None:
        self.assignor = CooperativeStickyAssignor()
        self.counts = dict(counts)
        self.racked = racked
        self.seed = seed
        self.group: dict[str, MemberSubscription] = {}
        self.owned: dict[str, set[TopicPartition]] = {}
        self.generation = 0
        self.next_id = 0

    @property
    def cluster(self) -> ClusterMetadata:
        if not self.racked:
            return ClusterMetadata(self.counts)
        rnd = random.Random(self.seed)
        racks = {TopicPartition(t, p): frozenset(rnd.sample(RACKS, rnd.randint(1, 2)))
                 for t in TOPICS for p in range(self.counts.get(t, 0))}
        return ClusterMetadata(self.counts, racks)

    def rebalance(self) -> None:
        self.generation += 1
        subs = {m: replace(s, owned_partitions=tuple(sorted(self.owned.get(m, ()))),
                           generation=self.generation - 1) for m, s in self.group.items()}
        cluster = self.cluster
        rounds = rebalance_rounds(self.assignor, subs, cluster, self.generation)
        assert len(rounds) <= 2, "a cooperative rebalance settles within two rounds"
        assert wasted_revocations(subs, rounds) == []
        assert_valid(subs, cluster, rounds[-1])
        assert_balanced(subs, rounds[-1])
        self.owned = {m: set(tps) for m, tps in rounds[-1].owned.items()}

    @rule(topics=st.sets(st.sampled_from(TOPICS), min_size=1), static=st.booleans(),
          rack=st.sampled_from([*RACKS, None]))
    def join(self, topics: set[str], static: bool, rack: str | None) -> None:
        mid = f"m{self.next_id:03d}"
        self.next_id += 1
        self.group[mid] = MemberSubscription(
            mid, topics, group_instance_id=f"s{mid}" if static else None,
            rack=rack if self.racked else None)
        self.rebalance()

    @precondition(lambda self: len(self.group) > 0)
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        mid = data.draw(st.sampled_from(sorted(self.group)))
        del self.group[mid]
        self.owned.pop(mid, None)
        self.rebalance()

    @precondition(lambda self: any(s.group_instance_id for s in self.group.values()))
    @rule(data=st.data())
    def static_restart(self, data: st.DataObject) -> None:
        old = data.draw(st.sampled_from(sorted(m for m, s in self.group.items()
                                              if s.group_instance_id)))
        new = f"m{self.next_id:03d}"
        self.next_id += 1
        self.group[new] = replace(self.group.pop(old), member_id=new)
        self.owned[new] = self.owned.pop(old, set())
        self.rebalance()

    @precondition(lambda self: len(self.group) > 0)
    @rule(data=st.data(), topics=st.sets(st.sampled_from(TOPICS), min_size=1))
    def change_subscription(self, data: st.DataObject, topics: set[str]) -> None:
        mid = data.draw(st.sampled_from(sorted(self.group)))
        self.group[mid] = replace(self.group[mid], topics=frozenset(topics))
        self.rebalance()

    @rule(topic=st.sampled_from(TOPICS), more=st.integers(1, 4))
    def expand_partitions(self, topic: str, more: int) -> None:
        self.counts[topic] = self.counts.get(topic, 0) + more
        self.rebalance()

    @invariant()
    def nobody_owns_a_partition_twice(self) -> None:
        owners = [tp for tps in self.owned.values() for tp in tps]
        assert len(owners) == len(set(owners))


TestRevocationChurn = RevocationChurn.TestCase
TestRevocationChurn.settings = settings(max_examples=80, stateful_step_count=30, deadline=None)
