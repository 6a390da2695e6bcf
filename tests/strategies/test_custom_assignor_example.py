"""The custom-assignor example registers a working strategy."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

import strategies
from strategies import ClusterMetadata, MemberSubscription, TopicPartition
from tests.strategies.invariants import assert_valid

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_assignor.py"


@pytest.fixture(autouse=True)
def fresh_registration() -> Iterator[None]:
    """The example registers "pinned" when it runs; each test runs it afresh and forgets it after
    (another test may have loaded the same file under another module name)."""
    if "pinned" in strategies.names():
        strategies.registry.unregister("pinned")
    yield
    if "pinned" in strategies.names():
        strategies.registry.unregister("pinned")


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
