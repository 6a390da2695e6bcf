"""The custom-assignor example registers a working strategy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import strategies
from strategies import ClusterMetadata, MemberSubscription, TopicPartition
from tests.strategies.invariants import assert_valid

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_assignor.py"


def load_example():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("custom_assignor_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_pinned_topic_goes_whole_to_its_static_member() -> None:
    load_example()
    cluster = ClusterMetadata({"orders": 6, "audit": 3})
    group = {
        "a": MemberSubscription("a", {"orders", "audit"}, group_instance_id="reports-1"),
        "b": MemberSubscription("b", {"orders", "audit"}),
    }
    a = strategies.get_assignor("pinned").assign(group, cluster)
    assert_valid(group, cluster, a)
    assert {TopicPartition("audit", p) for p in range(3)} <= set(a.owned["a"])
    assert not any(tp.topic == "audit" for tp in a.owned["b"])
