"""Consumer-lag weights: lag + floor, caching, failures fall back to the last good weights."""

from __future__ import annotations

import logging
from collections import namedtuple

from kafka.structs import TopicPartition as KTP

from strategies import ClusterMetadata, TopicPartition
from strategies.lag import ConsumerLagWeights

Offset = namedtuple("Offset", "offset")


class FakeAdmin:
    def __init__(self) -> None:
        self.calls = 0

    def list_group_offsets(self, specs):  # type: ignore[no-untyped-def]
        self.calls += 1
        assert specs == {"g": None}
        return {"g": {KTP("t", 0): Offset(40), KTP("t", 1): Offset(-1)}}

    def list_partition_offsets(self, specs):  # type: ignore[no-untyped-def]
        return {tp: Offset(100) for tp in specs}


def test_weight_is_lag_plus_floor_and_cached() -> None:
    admin = FakeAdmin()
    weights = ConsumerLagWeights("g", floor=1.0, cache_seconds=60, admin=admin)
    meta = ClusterMetadata({"t": 3})
    got = weights(meta)
    assert got == {TopicPartition("t", 0): 61.0, TopicPartition("t", 1): 1.0,
                   TopicPartition("t", 2): 1.0}
    weights(meta)
    assert admin.calls == 1


class BrokenAdmin:
    def list_group_offsets(self, specs):  # type: ignore[no-untyped-def]
        raise TimeoutError("coordinator not available")


def test_failure_logs_and_returns_no_weights(caplog) -> None:
    weights = ConsumerLagWeights("g", admin=BrokenAdmin())
    with caplog.at_level(logging.WARNING, logger="strategies"):
        assert weights(ClusterMetadata({"t": 1})) == {}
    assert "coordinator not available" in caplog.text


def test_failure_after_a_good_read_returns_the_last_good_weights(caplog) -> None:
    admin = FakeAdmin()
    weights = ConsumerLagWeights("g", cache_seconds=0, admin=admin)
    meta = ClusterMetadata({"t": 3})
    good = weights(meta)
    assert good[TopicPartition("t", 0)] == 61.0
    admin.list_group_offsets = BrokenAdmin().list_group_offsets  # the admin starts failing
    with caplog.at_level(logging.WARNING, logger="strategies"):
        assert weights(meta) == good
    assert "coordinator not available" in caplog.text and "weights read" in caplog.text
    del admin.list_group_offsets  # recovers: fresh figures again
    assert weights(meta) == good and admin.calls == 2
