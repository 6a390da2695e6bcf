"""The one registry shape behind ``partitioning`` and ``strategies``: each refusal is one error
of the side's type with a clear line; names mean one factory; options are checked by signature."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

import kpart.registry
import partitioning
import strategies
from kpart.registry import Registry, RegistryError
from partitioning import registry as partitioners
from strategies import registry as assignors
from strategies.range import RangeAssignor


class Made:
    def partition(self, key: Any, value: Any, view: Any) -> int:
        return 0


def FakeEntryPoint(name: str, value: str) -> EntryPoint:  # noqa: N802 - reads as the class it makes
    """An entry point as an installed package declares it (``module:attribute``)."""
    return EntryPoint(name=name, value=value, group="kpart.things")


def fresh(monkeypatch: pytest.MonkeyPatch, *eps: EntryPoint) -> Registry[Any]:
    scans: list[str] = []

    def fake_entry_points(group: str) -> list[EntryPoint]:
        scans.append(group)
        return list(eps)

    monkeypatch.setattr(kpart.registry, "entry_points", fake_entry_points)
    made: Registry[Any] = Registry("thing", "kpart.things", {"builtin": Made},
                                   check=lambda m: isinstance(m, Made), expected="a Made")
    made.scans = scans  # type: ignore[attr-defined]
    return made


def test_each_side_raises_its_one_error_type_for_every_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partitioners._REGISTRY, "_runtime", {})
    monkeypatch.setattr(assignors._REGISTRY, "_runtime", {})
    for refuse in (lambda: partitioning.registry.create("nope"),
                   lambda: partitioning.registry.create("murmur2", x=1),
                   lambda: partitioning.register("murmur2", Made)):
        with pytest.raises(partitioners.PartitionerRegistryError):
            refuse()
    for refuse in (lambda: strategies.get_assignor("nope"), lambda: strategies.get_assignor("range", x=1),
                   lambda: strategies.register("range", RangeAssignor)):
        with pytest.raises(assignors.AssignorRegistryError):
            refuse()
    # and both still are what callers caught before: ValueError / TypeError / KeyError
    with pytest.raises(ValueError, match="unknown partitioner 'nope'; known: .*murmur2"):
        partitioning.registry.create("nope")
    with pytest.raises(KeyError) as caught:
        strategies.get_assignor("nope")
    assert str(caught.value).startswith("unknown assignor 'nope'; known: ")  # no KeyError quoting


def test_a_registered_name_cannot_be_registered_again(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = fresh(monkeypatch)
    registry.register("mine", Made)
    with pytest.raises(RegistryError, match="thing 'mine' is already registered"):
        registry.register("mine", lambda: Made())
    with pytest.raises(RegistryError, match="'builtin' is a built-in thing name"):
        registry.register("builtin", Made)
    registry.unregister("mine")
    registry.register("mine", Made)


def test_an_entry_point_reusing_a_known_name_is_skipped_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    registry = fresh(monkeypatch, FakeEntryPoint("builtin", "strategies.range:RangeAssignor"),
                     FakeEntryPoint("plug", "tests.kpart.test_registry_shape:Made"),
                     FakeEntryPoint("plug", "strategies.range:RangeAssignor"))
    assert registry.names() == ["builtin", "plug"]
    assert isinstance(registry.create("builtin"), Made) and isinstance(registry.create("plug"), Made)
    assert "'builtin' from entry point 'strategies.range:RangeAssignor' is skipped" in caplog.text
    assert "already entry point 'tests.kpart.test_registry_shape:Made'" in caplog.text
    with pytest.raises(RegistryError, match="thing 'plug' is already registered"):
        registry.register("plug", Made)


def test_entry_points_are_scanned_once_until_rescan(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = fresh(monkeypatch)
    for _ in range(3):
        registry.names()
    registry.create("builtin")
    assert registry.scans == ["kpart.things"]  # type: ignore[attr-defined]
    registry.rescan()
    registry.names()
    assert len(registry.scans) == 2  # type: ignore[attr-defined]


def test_options_are_checked_by_signature_and_factory_errors_are_not_relabelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = fresh(monkeypatch)

    def factory(size: int, *, label: str = "x") -> Made:
        return Made() if isinstance(size, int) else len(None)  # type: ignore[arg-type]

    registry.register("sized", factory)
    assert isinstance(registry.create("sized", size=3, label="y"), Made)
    with pytest.raises(RegistryError, match=r"unexpected keyword .*colour.*; it takes size, label"):
        registry.create("sized", size=3, colour="red")
    with pytest.raises(RegistryError, match=r"thing 'sized': missing a required argument: 'size'"):
        registry.create("sized")
    with pytest.raises(TypeError) as caught:  # the factory's own bug, reported as itself
        registry.create("sized", size="3")
    assert not isinstance(caught.value, RegistryError) and "NoneType" in str(caught.value)


def test_a_factory_that_builds_the_wrong_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = fresh(monkeypatch)
    registry.register("odd", lambda: object())
    with pytest.raises(RegistryError, match="thing 'odd' built a 'object', not a Made"):
        registry.create("odd")


@pytest.mark.parametrize(("make", "typed", "known"), [
    (partitioning.registry.create, "roundrobin", "round_robin"),  # the assignor's spelling
    (partitioning.registry.create, "Uniform-Sticky", "uniform_sticky"),
    (strategies.get_assignor, "round_robin", "roundrobin"),  # the partitioner's spelling
    (strategies.get_assignor, "cooperative_sticky", "cooperative-sticky"),
])
def test_another_spelling_of_a_name_is_refused_with_a_did_you_mean(make: Any, typed: str, known: str) -> None:
    with pytest.raises(RegistryError, match=rf"unknown \w+ '{typed}' \(did you mean '{known}'\?\); known: "):
        make(typed)


def test_an_unrelated_unknown_name_gets_no_did_you_mean() -> None:
    with pytest.raises(RegistryError) as caught:
        partitioning.registry.create("rondrobin")
    assert "did you mean" not in str(caught.value)


def test_check_name_refuses_what_create_refuses_and_passes_what_it_knows() -> None:
    partitioners.check_name("round_robin")
    with pytest.raises(partitioners.PartitionerRegistryError, match=r"did you mean 'round_robin'\?"):
        partitioners.check_name("roundrobin")


def test_the_simulator_names_the_known_spelling_of_a_strategy_and_a_partitioner() -> None:
    from kpart.simulation.keys import check_partitioner
    from kpart.simulation.protocols import resolve_strategy

    with pytest.raises(ValueError, match=r"unknown strategy 'round_robin' \(did you mean 'roundrobin'\?\)"):
        resolve_strategy("round_robin")
    with pytest.raises(ValueError, match=r"partitioner 'roundrobin' \(did you mean 'round_robin'\?\)"):
        check_partitioner("roundrobin", (), b"k")
