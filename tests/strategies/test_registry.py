"""Registry: built-in names, run-time registration, entry points, clear errors."""

from __future__ import annotations

import pytest

import kpart.registry
import strategies
from strategies import Assignor, GroupAssignment, RangeAssignor, RoundRobinAssignor, registry


def test_builtin_names_resolve_to_their_classes() -> None:
    assert isinstance(strategies.get_assignor("range"), RangeAssignor)
    assert isinstance(strategies.get_assignor("roundrobin"), RoundRobinAssignor)
    assert {"range", "roundrobin"} <= set(strategies.names())


def test_every_name_builds_an_assignor_whose_name_matches() -> None:
    for name in strategies.names():
        assert strategies.get_assignor(name).name == name


def test_unknown_name_error_lists_known_names() -> None:
    with pytest.raises(KeyError, match="unknown assignor 'nope'.*range"):
        strategies.get_assignor("nope")


class _Mine(Assignor):
    name = "mine"

    def assign(self, group, cluster):  # type: ignore[no-untyped-def]
        return GroupAssignment.of({m: () for m in group})


def test_runtime_registration_and_builtin_protection(monkeypatch) -> None:
    monkeypatch.setattr(registry._REGISTRY, "_runtime", {})
    strategies.register("mine", _Mine)
    assert "mine" in strategies.names()
    assert isinstance(strategies.get_assignor("mine"), _Mine)
    with pytest.raises(ValueError, match="built-in"):
        strategies.register("range", _Mine)


def test_entry_point_group_is_consulted(monkeypatch) -> None:
    class FakeEntryPoint:
        name = "plugin"

        def load(self):  # type: ignore[no-untyped-def]
            return _Mine

    def fake_entry_points(group: str):  # type: ignore[no-untyped-def]
        assert group == "kpart.assignors"
        return [FakeEntryPoint()]

    monkeypatch.setattr(kpart.registry, "entry_points", fake_entry_points)
    monkeypatch.setattr(registry._REGISTRY, "_entry_points", None)  # scanned again, with the fake
    assert "plugin" in strategies.names()
    assert isinstance(strategies.get_assignor("plugin"), _Mine)


def test_factory_that_builds_a_non_assignor_is_rejected(monkeypatch) -> None:
    monkeypatch.setattr(registry._REGISTRY, "_runtime", {})
    strategies.register("bad", lambda: object())  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="not an Assignor"):
        strategies.get_assignor("bad")
