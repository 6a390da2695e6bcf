"""Name -> assignor registry: the names Kafka users type into configs, plus third-party ones.

Built-in names: ``range``, ``roundrobin``, ``sticky``, ``cooperative-sticky``, and ours: ``weighted-sticky``
(all weights 1 unless built with a weight callback). Third-party
assignors register through the entry-point group ``kpart.assignors``; the entry point must load
a zero-argument callable (usually the class) returning an :class:`~strategies.core.Assignor`::

    [project.entry-points."kpart.assignors"]
    my-assignor = "my_package.module:MyAssignor"

Built-in names win over entry points of the same name; :func:`register` adds one at run time.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import entry_points

from strategies.core import Assignor

ENTRY_POINT_GROUP = "kpart.assignors"
log = logging.getLogger("strategies")

_BUILTINS: dict[str, str] = {
    "range": "strategies.range:RangeAssignor",
    "roundrobin": "strategies.round_robin:RoundRobinAssignor",
    "sticky": "strategies.sticky:StickyAssignor",
    "cooperative-sticky": "strategies.cooperative:CooperativeStickyAssignor",
    "weighted-sticky": "strategies.weighted:WeightedStickyAssignor",
}
_RUNTIME: dict[str, Callable[[], Assignor]] = {}


def _load(target: str) -> Callable[[], Assignor]:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _entry_points() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def register(name: str, factory: Callable[[], Assignor]) -> None:
    """Register ``factory`` under ``name`` for this process; built-in names cannot be replaced."""
    if not name or not isinstance(name, str):
        raise ValueError(f"assignor name must be a non-empty str, got {name!r}")
    if name in _BUILTINS:
        raise ValueError(f"{name!r} is a built-in assignor name and cannot be replaced")
    _RUNTIME[name] = factory


def names() -> list[str]:
    """All known assignor names, sorted: built-ins, registered ones, entry points."""
    return sorted(set(_BUILTINS) | set(_RUNTIME) | set(_entry_points()))


def get_assignor(name: str) -> Assignor:
    """A new instance of the assignor called ``name``.

    Raises ``KeyError`` naming the known assignors if ``name`` is unknown, and ``TypeError`` if
    the registered factory does not produce an :class:`Assignor`.
    """
    if name in _BUILTINS:
        factory = _load(_BUILTINS[name])
    elif name in _RUNTIME:
        factory = _RUNTIME[name]
    else:
        ep = _entry_points().get(name)
        if ep is None:
            raise KeyError(f"unknown assignor {name!r}; known: {', '.join(names())}")
        factory = ep.load()  # type: ignore[attr-defined]
    assignor = factory()
    if not isinstance(assignor, Assignor):
        raise TypeError(f"assignor {name!r} built {type(assignor).__name__}, not an Assignor")
    return assignor
