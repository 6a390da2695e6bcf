"""One registry shape for partitioners and assignors: names -> factories.

A :class:`Registry` knows built-in names (import paths, loaded when first used), names
registered at run time with :meth:`Registry.register`, and third-party names declared as
package entry points (scanned once per process; :meth:`Registry.rescan` after installing a
package at run time). Guarantees:

- a name means one factory: registering a name that is already known is refused; an entry
  point that reuses a known name is skipped with a warning naming both;
- options are checked against the factory's signature before it is called, so an unknown or
  missing option is reported as such, and a ``TypeError`` raised inside the factory is never
  relabelled as an option error;
- every refusal raises the registry's one error type with one line saying what was wrong;
  an unknown name that differs from a known one only in ``-``, ``_`` or case (``roundrobin``
  for the partitioner ``round_robin``, ``cooperative_sticky`` for the assignor
  ``cooperative-sticky``) is refused with a "did you mean" naming the known one, never
  silently taken for it.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

log = logging.getLogger("kpart")

T = TypeVar("T")
Factory = Callable[..., Any]


class RegistryError(KeyError, ValueError, TypeError):
    """A name, an option or a factory refused by a registry. It is a ``KeyError``, a
    ``ValueError`` and a ``TypeError`` so code written against any of them keeps working."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _load(target: str) -> Factory:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def _spelling(name: str) -> str:
    """``name`` without case, ``-`` and ``_``: how two spellings of one name compare."""
    return name.lower().replace("-", "").replace("_", "")


def did_you_mean(name: object, known: list[str]) -> str:
    """`` (did you mean 'x'?)`` when ``name`` differs from a ``known`` name ``x`` only in
    ``-``, ``_`` or case, else the empty string: appended to an "unknown name" message."""
    same = [k for k in known if isinstance(name, str) and _spelling(k) == _spelling(name)]
    return f" (did you mean {same[0]!r}?)" if same else ""


class Registry(Generic[T]):
    """Names -> factories of one ``kind`` of object (e.g. ``"partitioner"``)."""

    def __init__(
        self,
        kind: str,
        entry_point_group: str,
        builtins: Mapping[str, str | Factory],
        check: Callable[[Any], bool],
        expected: str,
        error: type[RegistryError] = RegistryError,
    ) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._builtins = dict(builtins)
        self._check = check
        self._expected = expected
        self._error = error
        self._runtime: dict[str, Factory] = {}
        self._entry_points: dict[str, Any] | None = None

    # ---- names ------------------------------------------------------------------------------

    def _scanned(self) -> dict[str, Any]:
        if self._entry_points is None:
            found: dict[str, Any] = {}
            for ep in entry_points(group=self.entry_point_group):
                other = found.get(ep.name)
                if ep.name in self._builtins or ep.name in self._runtime or other is not None:
                    first = "a built-in" if other is None else f"entry point {other.value!r}"
                    log.warning("%s %r from entry point %r is skipped: the name is already %s",
                                self.kind, ep.name, ep.value, first)
                    continue
                found[ep.name] = ep
            self._entry_points = found
        return self._entry_points

    def rescan(self) -> None:
        """Read the entry points again (after installing a package in this process)."""
        self._entry_points = None

    def names(self) -> list[str]:
        """Every name :meth:`create` accepts, sorted."""
        return sorted(set(self._builtins) | set(self._runtime) | set(self._scanned()))

    def check_name(self, name: str) -> None:
        """Raise the registry's error (with a "did you mean" where one fits) unless ``name``
        is known."""
        if name not in self.names():
            raise self._error(self._unknown(name))

    def register(self, name: str, factory: Factory) -> None:
        """Register ``factory`` under ``name`` for this process; a known name is refused."""
        if not isinstance(name, str) or not name:
            raise self._error(f"{self.kind} name must be a non-empty string, got {name!r}")
        if not callable(factory):
            raise self._error(f"{self.kind} {name!r}: the factory must be callable, got {factory!r}")
        if name in self._builtins:
            raise self._error(f"{name!r} is a built-in {self.kind} name and cannot be replaced")
        if name in self._runtime or name in self._scanned():
            raise self._error(f"{self.kind} {name!r} is already registered")
        self._runtime[name] = factory

    def unregister(self, name: str) -> None:
        """Forget a name registered with :meth:`register` (built-ins and entry points stay)."""
        if self._runtime.pop(name, None) is None:
            raise self._error(f"{self.kind} {name!r} was not registered at run time")

    # ---- building ---------------------------------------------------------------------------

    def factory(self, name: str) -> Factory:
        """The factory registered under ``name``."""
        target = self._builtins.get(name)
        if target is not None:
            return _load(target) if isinstance(target, str) else target
        if name in self._runtime:
            return self._runtime[name]
        ep = self._scanned().get(name)
        if ep is None:
            raise self._error(self._unknown(name))
        try:
            return ep.load()  # type: ignore[no-any-return]
        except Exception as exc:
            raise self._error(f"{self.kind} {name!r}: entry point {ep.value!r} failed to load: {exc}") \
                from exc

    def _unknown(self, name: str) -> str:
        known = self.names()
        return f"unknown {self.kind} {name!r}{did_you_mean(name, known)}; known: {', '.join(known)}"

    def create(self, name: str, **options: Any) -> T:
        """A new object built by ``name``'s factory with ``options``, checked by ``check``
        (``expected`` describes what passes it, for the error)."""
        factory = self.factory(name)
        self._check_options(name, factory, options)
        made = factory(**options)
        if not self._check(made):
            raise self._error(f"{self.kind} {name!r} built a {type(made).__name__!r}, not {self._expected}")
        return made  # type: ignore[no-any-return]

    def _check_options(self, name: str, factory: Factory, options: dict[str, Any]) -> None:
        try:
            signature = inspect.signature(factory)
        except (TypeError, ValueError):
            return  # no signature to check (some builtins): the factory itself decides
        try:
            signature.bind(**options)
        except TypeError as exc:
            takes = [p.name for p in signature.parameters.values()
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
            raise self._error(
                f"{self.kind} {name!r}: {exc}; it takes {', '.join(takes) or 'no options'}"
            ) from None
