"""Membership churn shared by the assignor state machines: joins, leaves, static restarts,
subscription changes and partition growth. A subclass sets up the group in its
``@initialize`` rule (``counts``, ``group``, ``owned``, ``next_id``; ``racked`` to give joining
members a rack) and says what one rebalance checks in :meth:`rebalance`."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from strategies import MemberSubscription, TopicPartition

TOPICS = ["t0", "t1", "t2", "t3"]
RACKS = ["r0", "r1", "r2"]


class MembershipChurn(RuleBasedStateMachine):
    """Random membership events; after each one the group rebalances."""

    counts: dict[str, int]
    group: dict[str, MemberSubscription]
    owned: dict[str, set[TopicPartition]]
    next_id: int
    racked: bool = False

    def rebalance(self) -> None:
        raise NotImplementedError

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
        owners = [tp for tps in getattr(self, "owned", {}).values() for tp in tps]
        assert len(owners) == len(set(owners))
