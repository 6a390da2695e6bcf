"""Properties of every assignor over random groups, and stateful churn for the sticky ones."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from strategies import (
    ClusterMetadata,
    CooperativeStickyAssignor,
    GroupAssignment,
    MemberSubscription,
    TopicPartition,
    get_assignor,
    names,
    rebalance_rounds,
)
from tests.strategies.churn import TOPICS, MembershipChurn
from tests.strategies.invariants import (
    assert_balanced,
    assert_valid,
    identical,
    max_retainable,
    retained,
)

BUILTINS = ["range", "roundrobin", "sticky", "cooperative-sticky"]

clusters = st.fixed_dictionaries({t: st.integers(0, 9) for t in TOPICS}).map(ClusterMetadata)


@st.composite
def groups(draw: st.DrawFn, same_topics: bool = False) -> dict[str, MemberSubscription]:
    n = draw(st.integers(1, 7))
    shared = draw(st.sets(st.sampled_from(TOPICS), min_size=1))
    out = {}
    for i in range(n):
        topics = shared if same_topics else draw(st.sets(st.sampled_from(TOPICS), min_size=1))
        static = draw(st.booleans())
        mid = f"m{draw(st.integers(0, 99)):02d}-{i}"
        out[mid] = MemberSubscription(mid, topics, group_instance_id=f"i{i}" if static else None)
    return out


@settings(max_examples=150, deadline=None)
@given(groups(), clusters, st.sampled_from(BUILTINS))
def test_every_subscribed_partition_owned_exactly_once(group, cluster, name) -> None:
    assert_valid(group, cluster, get_assignor(name).assign(group, cluster))


@settings(max_examples=150, deadline=None)
@given(groups(same_topics=True), clusters, st.sampled_from(["roundrobin", "sticky",
                                                             "cooperative-sticky"]))
def test_counts_within_one_with_identical_subscriptions(group, cluster, name) -> None:
    counts = get_assignor(name).assign(group, cluster).counts().values()
    assert max(counts) - min(counts) <= 1


@settings(max_examples=150, deadline=None)
@given(groups(), clusters, st.sampled_from(["sticky", "cooperative-sticky"]))
def test_no_member_could_take_from_one_with_two_more(group, cluster, name) -> None:
    assert_balanced(group, get_assignor(name).assign(group, cluster))


@settings(max_examples=100, deadline=None)
@given(groups(), clusters, st.sampled_from(BUILTINS))
def test_same_input_same_output_whatever_the_member_order(group, cluster, name) -> None:
    a = get_assignor(name).assign(group, cluster)
    b = get_assignor(name).assign(dict(reversed(list(group.items()))), cluster)
    assert dict(a.owned) == dict(b.owned)


def test_registry_covers_the_builtins() -> None:
    assert set(BUILTINS) <= set(names())


class Churn(MembershipChurn):
    """Random churn; after every event the group rebalances and the guarantees are checked."""

    assignor_name = "sticky"

    @initialize(counts=st.fixed_dictionaries({t: st.integers(1, 8) for t in TOPICS}))
    def start(self, counts: dict[str, int]) -> None:
        self.assignor = get_assignor(self.assignor_name)
        self.counts = dict(counts)
        self.group: dict[str, MemberSubscription] = {}
        self.owned: dict[str, set[TopicPartition]] = {}
        self.generation = 0
        self.next_id = 0
        self.last: GroupAssignment | None = None

    @property
    def cluster(self) -> ClusterMetadata:
        return ClusterMetadata(self.counts)

    def rebalance(self) -> None:
        """One rebalance: members report what they own; the assignor (all rounds) decides."""
        self.generation += 1
        subs = {m: replace(s, owned_partitions=tuple(sorted(self.owned.get(m, ()))),
                           generation=self.generation - 1,
                           user_data=self.assignor.encode_user_data(
                               sorted(self.owned.get(m, ())), self.generation - 1))
                for m, s in self.group.items()}
        previous = {m: set(v) for m, v in self.owned.items() if m in subs}
        if isinstance(self.assignor, CooperativeStickyAssignor):
            rounds = rebalance_rounds(self.assignor, subs, self.cluster, self.generation)
            assert len(rounds) <= 2, "cooperative rebalance must settle within two rounds"
            holding = {m: {tp for tp in s.owned_partitions
                           if self.cluster.has_partition(tp)} for m, s in subs.items()}
            for a in rounds:
                assert_valid(subs, self.cluster, a, complete=False)
                for m, tps in a.owned.items():
                    for tp in tps:
                        other = [o for o, h in holding.items() if o != m and tp in h]
                        assert not other, f"{tp} handed to {m} while {other} still hold it"
                holding = {m: set(tps) for m, tps in a.owned.items()}
            final = rounds[-1]
        else:
            final = self.assignor.assign(subs, self.cluster)
        assert_valid(subs, self.cluster, final)
        assert_balanced(subs, final)
        if identical(subs) and subs:
            assert retained(previous, final) == max_retainable(previous, subs, self.cluster)
        self.owned = {m: set(tps) for m, tps in final.owned.items()}
        self.last = final

    @precondition(lambda self: len(self.counts) > 1)
    @rule(topic=st.sampled_from(TOPICS))
    def delete_topic(self, topic: str) -> None:
        self.counts.pop(topic, None)
        self.rebalance()

    @rule(topic=st.sampled_from(TOPICS), n=st.integers(1, 6))
    def create_topic(self, topic: str, n: int) -> None:
        if topic not in self.counts:
            self.counts[topic] = n
            self.rebalance()


class StickyChurn(Churn):
    assignor_name = "sticky"


class CooperativeChurn(Churn):
    assignor_name = "cooperative-sticky"


TestStickyChurn = StickyChurn.TestCase
TestStickyChurn.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestCooperativeChurn = CooperativeChurn.TestCase
TestCooperativeChurn.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)


@settings(max_examples=150, deadline=None)
@given(groups(), clusters, st.randoms(use_true_random=False))
def test_claims_taken_from_a_balanced_assignment_are_all_kept(group, cluster, rnd) -> None:
    sticky = get_assignor("sticky")
    first = sticky.assign(group, cluster)
    claims = {m: tuple(tp for tp in tps if rnd.random() < 0.7) for m, tps in first.owned.items()}
    again = {m: replace(s, owned_partitions=claims[m], generation=1) for m, s in group.items()}
    second = sticky.assign(again, cluster)
    for m, tps in claims.items():
        assert set(tps) <= set(second.owned[m]), m
