"""The checks every part of a scenario is validated with, and what validation knows while it
walks the timeline (:class:`Timeline`).

Every problem raises :class:`ScenarioError` whose one-line message starts with the path of the
bad field, e.g. ``events[3].member: unknown member 'c9'``.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable, Mapping
from typing import Any

from kpart.simulation.model import Broker, MemberSpec, Timing, Topic

#: Upper bounds of a scenario. At these sizes one event costs about a second per strategy on a
#: busy 2-core machine; ten times more partitions costs half a minute per event.
LIMITS: dict[str, int] = {
    "partitions": 100_000,  # all topics together, at every point of the timeline
    "members": 10_000,  # every member name the scenario ever uses
    "brokers": 1_000,
    "events": 1_000,
    "keys": 1_000_000,  # distinct producer keys (a key file's distinct lines)
    "records": 10**12,
    "seconds": 10**7,  # any time or duration (about four months)
    "file_bytes": 64 * 2**20,  # a scenario or key file
}
MAX_BROKER_ID = 2**31 - 1
_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60


class ScenarioError(ValueError):
    """A scenario is malformed; the message names the field (``path: problem``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def show(value: Any) -> str:
    """A short repr, safe for huge or deeply nested values."""
    return _short.repr(value)


def mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(path, f"must be a mapping, got {type(value).__name__}")
    return value


def listed(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(path, f"must be a list, got {type(value).__name__}")
    return value


def required(d: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in d:
        raise ScenarioError(join(path, key), "is required")
    return d[key]


def known(d: Mapping[str, Any], path: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    for key in d:
        if key not in allowed:
            raise ScenarioError(join(path, str(key)), f"unknown field; expected one of {', '.join(allowed)}")


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def integer(value: Any, path: str, minimum: int, maximum: int | None = None) -> int:
    """An integer (never a bool) in ``[minimum, maximum]``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ScenarioError(path, f"must be an integer >= {minimum}, got {show(value)}")
    if maximum is not None and value > maximum:
        raise ScenarioError(path, f"must be at most {maximum:,}, got {show(value)}")
    return value


def number(value: Any, path: str, positive: bool = False, maximum: float = LIMITS["seconds"]) -> float:
    """A finite number (never a bool) in ``[0, maximum]``, or ``(0, maximum]`` when positive."""
    wanted = f"must be a number {'> 0' if positive else '>= 0'}"
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ScenarioError(path, f"{wanted}, got {show(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(path, f"must be a finite number, got {show(value)}")
    if value < 0 or (positive and value == 0):
        raise ScenarioError(path, f"{wanted}, got {show(value)}")
    if value > maximum:
        raise ScenarioError(path, f"must be at most {maximum:,g}, got {show(value)}")
    return float(value)


def string(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError(path, f"must be a non-empty string, got {show(value)}")
    return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(path, f"must be true or false, got {show(value)}")
    return value


def string_list(value: Any, path: str) -> list[str]:
    items = listed(value, path)
    return [string(v, f"{path}[{i}]") for i, v in enumerate(items)]


def topic_entry(d: Mapping[str, Any], p: str, brokers: int) -> Topic:
    name = string(required(d, "name", p), join(p, "name"))
    partitions = integer(required(d, "partitions", p), join(p, "partitions"), 1, LIMITS["partitions"])
    replication = integer(d.get("replication", 1), join(p, "replication"), 1)
    if replication > brokers:
        raise ScenarioError(join(p, "replication"),
                            f"{replication} replicas need {replication} brokers; the scenario has {brokers}")
    return Topic(name, partitions, replication)


def partition_total(counts: Mapping[str, int], path: str) -> None:
    total = sum(counts.values())
    if total > LIMITS["partitions"]:
        raise ScenarioError(path, f"{total:,} partitions in all topics; at most {LIMITS['partitions']:,}")


class Timeline:
    """What validation knows while walking the timeline: the cluster as it is at the current
    event (topics and partition counts, brokers still up, racks), the group as it is (who is
    in it, who has gone and why), and the member names used so far."""

    def __init__(self, declared: set[str], brokers: tuple[Broker, ...], topics: tuple[Topic, ...],
                 timing: Timing, broker_version: str = "4.1") -> None:
        self.broker_version = broker_version
        self.timing = timing
        self.brokers = brokers
        self.live_brokers = {b.id for b in brokers}
        self.topics = declared  # every topic name the scenario ever has (a subscription may name)
        self.counts = {t.name: t.partitions for t in topics}  # partitions per topic, now
        self.racks = {b.rack for b in brokers if b.rack is not None}
        self.initial_topics = [t.name for t in topics]
        self.group: dict[str, MemberSpec] = {}
        self.used: set[str] = set()
        self.gone: dict[str, str] = {}  # member -> "left at events[3]" (until it joins again)

    def depart(self, name: str, how: str) -> None:
        """``name`` leaves the group (``how``: "left at events[3]")."""
        del self.group[name]
        self.gone[name] = how

    def rack(self, value: Any, path: str) -> str:
        rack = string(value, path)
        if self.racks and rack not in self.racks:
            raise ScenarioError(path,
                                f"unknown rack {rack!r}; brokers are in {', '.join(sorted(self.racks))}")
        return rack

    def subscription(self, value: Any, path: str) -> frozenset[str]:
        names = string_list(value, path)
        if not names:
            raise ScenarioError(path, "must name at least one topic")
        for i, t in enumerate(names):
            if t not in self.topics:
                raise ScenarioError(f"{path}[{i}]", f"unknown topic {t!r}")
        return frozenset(names)

    def strategy(self, value: Any, path: str) -> str:
        """A member's own strategy name, known and runnable on the scenario's broker."""
        from kpart.simulation.protocols import check_broker_supports, resolve_strategy

        try:
            check_broker_supports(resolve_strategy(string(value, path)), self.broker_version)
        except ValueError as exc:
            raise ScenarioError(path, str(exc)) from None
        return str(value)

    def member(self, value: Any, path: str) -> str:
        name = string(value, path)
        if name in self.gone and name not in self.group:
            raise ScenarioError(path, f"member {name!r} already {self.gone[name]}")
        if name not in self.group:
            raise ScenarioError(path, f"unknown member {name!r}")
        return name

    def _use(self, count: int, path: str) -> int:
        if len(self.used) + count > LIMITS["members"]:
            raise ScenarioError(path, f"more than {LIMITS['members']:,} member names in the scenario")
        return count

    def member_entry(self, d: Mapping[str, Any], p: str, extra: tuple[str, ...] = ()) -> list[MemberSpec]:
        """One ``members`` entry (or the member part of a ``join``): a single member or a batch."""
        known(d, p, (*extra, "name", "count", "prefix", "topics", "rack", "racks", "static", "strategy"))
        topics = (self.subscription(d["topics"], f"{p}.topics") if "topics" in d
                  else frozenset(self.initial_topics))
        static = boolean(d.get("static", False), f"{p}.static")
        strategy = self.strategy(d["strategy"], f"{p}.strategy") if "strategy" in d else None
        if "name" in d:
            for bad in ("count", "prefix", "racks"):
                if bad in d:
                    raise ScenarioError(f"{p}.{bad}", "not allowed with 'name' (one member)")
            name = string(d["name"], f"{p}.name")
            if name in self.group:
                raise ScenarioError(f"{p}.name", f"member {name!r} is already in the group")
            rack = self.rack(d["rack"], f"{p}.rack") if "rack" in d else None
            self._use(1, f"{p}.name")
            self.used.add(name)
            return [MemberSpec(name, topics, rack, static, strategy)]
        if "rack" in d:
            raise ScenarioError(f"{p}.rack", "use 'racks' (a list, cycled) with 'count'")
        count = self._use(integer(required(d, "count", p), f"{p}.count", 1, LIMITS["members"]), f"{p}.count")
        prefix = string(d.get("prefix", "c"), f"{p}.prefix")
        racks = [self.rack(r, f"{p}.racks[{i}]") for i, r in enumerate(listed(d.get("racks", []),
                                                                             f"{p}.racks"))]
        start = 0
        for used in self.used:
            if used.startswith(prefix) and used[len(prefix):].isdigit():
                start = max(start, int(used[len(prefix):]) + 1)
        out = []
        for i in range(count):
            name = f"{prefix}{start + i}"
            if name in self.group:
                raise ScenarioError(f"{p}.prefix", f"member {name!r} is already in the group")
            self.used.add(name)
            out.append(MemberSpec(name, topics, racks[i % len(racks)] if racks else None, static, strategy))
        return out
