"""Name -> assignor registry: the names Kafka users type into configs, plus third-party ones.

Built-in names: ``range``, ``roundrobin``, ``sticky``, ``cooperative-sticky``, and ours: ``weighted-sticky``
(all weights 1 unless built with a weight callback). Third-party
assignors register through the entry-point group ``kpart.assignors``; the entry point must load
a zero-argument callable (usually the class) returning an :class:`~strategies.core.Assignor`::

    [project.entry-points."kpart.assignors"]
    my-assignor = "my_package.module:MyAssignor"

A name means one assignor: :func:`register` (run time) refuses a known name, and an entry point
reusing a known name is skipped with a warning. The registry shape is
:class:`kpart.registry.Registry`, shared with the partitioners.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kpart.registry import Registry, RegistryError
from strategies.core import Assignor

ENTRY_POINT_GROUP = "kpart.assignors"

_BUILTINS: dict[str, str] = {
    "range": "strategies.range:RangeAssignor",
    "roundrobin": "strategies.roundrobin:RoundRobinAssignor",
    "sticky": "strategies.sticky:StickyAssignor",
    "cooperative-sticky": "strategies.cooperative:CooperativeStickyAssignor",
    "weighted-sticky": "strategies.weighted:WeightedStickyAssignor",
}


class AssignorRegistryError(RegistryError):
    """An unknown assignor name, a refused registration or options it does not take."""


_REGISTRY: Registry[Assignor] = Registry(
    "assignor", ENTRY_POINT_GROUP, _BUILTINS,
    check=lambda made: isinstance(made, Assignor), expected="an Assignor", error=AssignorRegistryError,
)


def register(name: str, factory: Callable[..., Assignor]) -> None:
    """Register ``factory`` under ``name`` for this process; a known name is refused."""
    _REGISTRY.register(name, factory)


def unregister(name: str) -> None:
    """Forget a name registered with :func:`register` (built-ins and entry points stay)."""
    _REGISTRY.unregister(name)


def names() -> list[str]:
    """All known assignor names, sorted: built-ins, registered ones, entry points."""
    return _REGISTRY.names()


def get_assignor(name: str, **options: Any) -> Assignor:
    """A new instance of the assignor called ``name``, built with ``options``.

    Raises :class:`AssignorRegistryError` (also a ``KeyError``) naming the known assignors if
    ``name`` is unknown, for options the factory does not take, and if the factory does not
    produce an :class:`Assignor`.
    """
    return _REGISTRY.create(name, **options)
