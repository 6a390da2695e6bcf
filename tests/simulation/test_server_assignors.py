"""The ports of the broker's KIP-848 assignors, on cases whose answer follows from their source.

Differential checks against the broker's own classes are in tests/reference/.
"""

from __future__ import annotations

import pytest

from kpart.simulation.java_order import hash_set_from, int_hash, iteration_order, string_hash
from kpart.simulation.protocols import SERVER_ASSIGNORS
from kpart.simulation.server_assignors import RangeServerAssignor, UniformServerAssignor
from strategies.core import ClusterMetadata, MemberSubscription, TopicPartition


def tps(topic: str, *parts: int) -> tuple[TopicPartition, ...]:
    return tuple(TopicPartition(topic, p) for p in parts)


def test_string_hash_is_javas() -> None:
    # Java: "hello".hashCode() == 99162322, "Aa" and "BB" collide, "" is 0.
    assert string_hash("hello") == 99162322
    assert string_hash("Aa") == string_hash("BB")
    assert string_hash("") == 0
    assert string_hash("polygenelubricants") == (-(2**31)) & 0xFFFFFFFF


def test_hash_set_iterates_by_bucket_then_insertion() -> None:
    # Java: new HashSet<>(List.of(3, 17)) iterates [17, 3]; 1 and 17 share bucket 1.
    assert hash_set_from([3, 17], int_hash) == [17, 3]
    assert hash_set_from([17, 1], int_hash) == [17, 1]
    assert hash_set_from([1, 17], int_hash) == [1, 17]


def test_a_map_resizes_past_three_quarters_full() -> None:
    # 14 keys overflow the default 16-slot table (12 fit): 16 then lands in bucket 16 of 32.
    keys = [16, *range(12), 12]
    assert iteration_order(keys, int_hash) == [*range(13), 16]
    assert iteration_order(keys[:12], int_hash) == [16, *range(11)]


def test_nine_colliding_keys_resize_a_small_table() -> None:
    keys = [i * 16 for i in range(9)]  # all in bucket 0 of 16; the ninth forces 32 slots
    assert iteration_order(keys, int_hash) == [0, 32, 64, 96, 128, 16, 48, 80, 112]


def test_kip848_names_resolve_to_the_ports() -> None:
    assert SERVER_ASSIGNORS == {"kip848-uniform": UniformServerAssignor, "kip848-range": RangeServerAssignor}


def test_range_deals_static_members_first_by_instance_id_then_dynamic_by_member_id() -> None:
    group = {
        "a": MemberSubscription("a", frozenset({"t"})),
        "b": MemberSubscription("b", frozenset({"t"}), group_instance_id="z"),
        "c": MemberSubscription("c", frozenset({"t"}), group_instance_id="y"),
    }
    out = RangeServerAssignor().assign(group, ClusterMetadata({"t": 7}))
    assert out.owned == {"c": tps("t", 0, 1, 2), "b": tps("t", 3, 4), "a": tps("t", 5, 6)}


def test_range_is_not_sticky() -> None:
    group = {m: MemberSubscription(m, frozenset({"t"}), owned_partitions=tps("t", 0) if m == "b" else ())
             for m in ("a", "b")}
    out = RangeServerAssignor().assign(group, ClusterMetadata({"t": 2}))
    assert out.owned == {"a": tps("t", 0), "b": tps("t", 1)}


def test_range_co_partitions_topics_with_the_same_subscribers_and_count() -> None:
    group = {m: MemberSubscription(m, frozenset({"t", "u"})) for m in ("a", "b", "c")}
    out = RangeServerAssignor().assign(group, ClusterMetadata({"t": 5, "u": 5}))
    for parts in out.owned.values():
        assert sorted(tp.partition for tp in parts if tp.topic == "t") == \
               sorted(tp.partition for tp in parts if tp.topic == "u")


def test_uniform_keeps_targets_within_quota_and_balances_within_one() -> None:
    owned = {"a": tps("t", 0, 1, 2, 3, 4, 5), "b": tps("t", 6, 7), "c": ()}
    group = {m: MemberSubscription(m, frozenset({"t"}), owned_partitions=o) for m, o in owned.items()}
    out = UniformServerAssignor().assign(group, ClusterMetadata({"t": 8}))
    counts = sorted(out.counts().values())
    assert counts[-1] - counts[0] <= 1 and sum(counts) == 8
    assert set(out.owned["b"]) == set(owned["b"])
    assert len(set(out.owned["a"]) & set(owned["a"])) == len(out.owned["a"])


def test_uniform_ignores_racks() -> None:
    racks = {TopicPartition("t", p): frozenset({"r0" if p < 2 else "r1"}) for p in range(4)}
    cluster = ClusterMetadata({"t": 4}, racks)
    plain = {m: MemberSubscription(m, frozenset({"t"})) for m in ("a", "b")}
    racked = {m: MemberSubscription(m, frozenset({"t"}), rack=r) for m, r in (("a", "r1"), ("b", "r0"))}
    assert UniformServerAssignor().assign(racked, cluster) == UniformServerAssignor().assign(plain, cluster)


def test_uniform_4_0_gives_the_extra_partition_to_the_first_members_in_map_order() -> None:
    # 3 partitions, 2 members; "b" holds two. 4.1 lets it keep both; 4.0 reserves the extra
    # partition for the first member in the map's order.
    order = iteration_order(["a", "b"], string_hash)
    first, second = order
    owned = {first: (), second: tps("t", 0, 1)}
    group = {m: MemberSubscription(m, frozenset({"t"}), owned_partitions=owned[m]) for m in order}
    v41 = UniformServerAssignor().assign(group, ClusterMetadata({"t": 3}))
    v40 = UniformServerAssignor(broker_version="4.0").assign(group, ClusterMetadata({"t": 3}))
    assert v41.owned == {first: tps("t", 2), second: tps("t", 0, 1)}
    assert len(v40.owned[first]) == 2 and len(v40.owned[second]) == 1


def test_uniform_mixed_subscriptions_balance_per_topic() -> None:
    group = {
        "a": MemberSubscription("a", frozenset({"t", "u"})),
        "b": MemberSubscription("b", frozenset({"t"})),
        "c": MemberSubscription("c", frozenset({"u"})),
    }
    out = UniformServerAssignor().assign(group, ClusterMetadata({"t": 4, "u": 4}))
    owners = out.owner_of()
    assert len(owners) == 8
    assert all(owners[tp] in ("a", "b") for tp in tps("t", 0, 1, 2, 3))
    assert all(owners[tp] in ("a", "c") for tp in tps("u", 0, 1, 2, 3))


def test_an_unknown_broker_version_is_refused() -> None:
    with pytest.raises(ValueError, match="broker_version must be one of 4.0, 4.1, got '3.9'"):
        UniformServerAssignor(broker_version="3.9")
