"""What every event type is, and the one table (:data:`EVENT_TYPES`) they are found through.

An event type is one class, in one module, holding all it means: its fields (frozen data, with
the time ``at`` in seconds), :meth:`Event.parse` (validation of its scenario entry),
:meth:`Event.simulate` (its effect on the simulated group) and, if it can run against a real
broker, :meth:`Event.live`. :func:`event_type` registers it under its scenario ``type`` name;
nothing else (loading, the engine, the live runner) names an event type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from kpart.simulation.engine import Simulation
    from kpart.simulation.live import LiveRun
    from kpart.simulation.validation import Timeline


@dataclass(frozen=True)
class Outcome:
    """What an event did to the simulated group: when it had settled, and for a producer's
    topic that grew, the share of keys now mapped to another partition."""

    end: float
    keys_remapped: float | None = None


@dataclass(frozen=True)
class Event(ABC):
    """One point of a scenario's timeline."""

    at: float
    type_name: ClassVar[str]
    """The scenario ``type`` it is registered under (set by :func:`event_type`)."""

    @property
    @abstractmethod
    def label(self) -> str:
        """A short description for tables and charts."""

    @classmethod
    @abstractmethod
    def parse(cls, d: Mapping[str, Any], p: str, at: float, timeline: Timeline) -> Event:
        """The event of entry ``d`` (found at path ``p``, happening at ``at``), validated
        against ``timeline``, which it updates (who is in the group, topics, brokers up).

        Raises :class:`~kpart.simulation.validation.ScenarioError` naming the field."""

    @classmethod
    def declared_topics(cls, d: Mapping[str, Any]) -> tuple[str, ...]:
        """Topic names entry ``d`` brings into existence (subscriptions may name them from the
        start); looked at before validation, so ``d`` may be malformed."""
        return ()

    @abstractmethod
    def simulate(self, sim: Simulation, t: float) -> Outcome:
        """Apply the event to ``sim``, starting at ``t``; returns when the group settled."""

    def live(self, run: LiveRun) -> None:
        """Carry the event out on a real broker (see :mod:`kpart.simulation.live`)."""
        raise NotImplementedError(f"{self.type_name} events cannot be run live")

    def renamed(self, rename: Callable[[str], str]) -> Event:
        """The event with every topic name ``T`` it holds replaced by ``rename(T)``."""
        return self


E = TypeVar("E", bound=type[Event])

EVENT_TYPES: dict[str, type[Event]] = {}
"""Scenario ``type`` names -> event classes, in registration order."""


def event_type(name: str) -> Callable[[E], E]:
    """Class decorator registering an :class:`Event` subclass as scenario ``type`` ``name``;
    refuses a name already registered (``ValueError``)."""

    def register(cls: E) -> E:
        if name in EVENT_TYPES:
            raise ValueError(f"event type {name!r} is already registered ({EVENT_TYPES[name].__qualname__})")
        cls.type_name = name
        EVENT_TYPES[name] = cls
        return cls

    return register


def runs_live(cls: type[Event]) -> bool:
    """Whether events of ``cls`` can be carried out on a real broker."""
    return cls.live is not Event.live
