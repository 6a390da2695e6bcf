"""Load and validate scenarios from YAML or JSON.

Every problem raises :class:`ScenarioError` whose message starts with the path of the bad
field, e.g. ``events[3].member: unknown member 'c9'``. Validation follows the timeline, so a
member must have joined (and not left or crashed) before an event can name it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from kpart.simulation.events import (
    EVENT_TYPES,
    AddPartitions,
    BrokerOutage,
    Crash,
    CreateTopic,
    Event,
    Join,
    Leave,
    RackOutage,
    RollingRestart,
    StaticBounce,
    Subscribe,
)
from kpart.simulation.model import Broker, KeySpec, MemberSpec, ProducerSpec, Timing, Topic
from kpart.simulation.scenario import Scenario

DISTRIBUTIONS = ("uniform", "zipf", "file")


class ScenarioError(ValueError):
    """A scenario is malformed; the message names the field (``path: problem``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


def load_scenario(path: str | Path) -> Scenario:
    """Read a ``.yaml``/``.yml``/``.json`` scenario file and validate it.

    Errors name the file and the field: ``scale.yaml: topics[0].partitions: must be ...``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(str(path), f"cannot read the scenario: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(str(path),
                            f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from exc
    try:
        return parse_scenario(data, default_name=path.stem, base_dir=path.parent)
    except ScenarioError as exc:
        raise ScenarioError(f"{path.name}: {exc.path}" if exc.path else path.name, exc.problem) from None


def parse_scenario(
    data: Any, default_name: str = "scenario", base_dir: Path | None = None
) -> Scenario:
    """Validate an already-parsed scenario (a mapping, as YAML or JSON gives it)."""
    root = _mapping(data, "")
    _known(root, "", ("name", "description", "seed", "timing", "brokers", "topics", "members",
                      "producer", "events", "broker_version"))
    version = _broker_version(root.get("broker_version", "4.1"), "broker_version")
    timing = _timing(root.get("timing", {}), "timing")
    brokers = _brokers(root.get("brokers", 3), "brokers")
    racks = {b.rack for b in brokers if b.rack is not None}
    topics = _topics(_required(root, "topics", ""), "topics")
    raw_events = _list(root.get("events", []), "events")
    declared = {t.name for t in topics}
    for i, raw in enumerate(raw_events):
        ev = _mapping(raw, f"events[{i}]")
        if ev.get("type") == "create_topic" and isinstance(ev.get("name"), str):
            declared.add(ev["name"])
    ctx = _Context(declared, racks, [t.name for t in topics], version)
    members: list[MemberSpec] = []
    for i, raw in enumerate(_list(_required(root, "members", ""), "members")):
        members.extend(ctx.member_entry(_mapping(raw, f"members[{i}]"), f"members[{i}]"))
    if not members:
        raise ScenarioError("members", "at least one member is needed")
    ctx.group = {m.name: m for m in members}
    events = _events(raw_events, ctx, timing, brokers, topics)
    producer = None
    if "producer" in root:
        producer = _producer(root["producer"], "producer", declared, base_dir)
    seed = root.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ScenarioError("seed", f"must be an integer, got {seed!r}")
    name = _str(root.get("name", default_name), "name")
    description = root.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError("description", "must be a string")
    return Scenario(name, brokers, topics, tuple(members), tuple(events), producer, timing, seed,
                    description, version)


def _broker_version(value: Any, path: str) -> str:
    from kpart.simulation.protocols import broker_version

    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    try:
        broker_version(_str(text, path))
    except ValueError as exc:
        raise ScenarioError(path, str(exc)) from None
    return str(text)


# --- small checkers -------------------------------------------------------------------------

def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ScenarioError(path, f"must be a mapping, got {type(value).__name__}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ScenarioError(path, f"must be a list, got {type(value).__name__}")
    return value


def _required(d: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in d:
        raise ScenarioError(_join(path, key), "is required")
    return d[key]


def _known(d: Mapping[str, Any], path: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    for key in d:
        if key not in allowed:
            raise ScenarioError(_join(path, str(key)), f"unknown field; expected one of {', '.join(allowed)}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _int(value: Any, path: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ScenarioError(path, f"must be an integer >= {minimum}, got {value!r}")
    return value


def _number(value: Any, path: str, positive: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or value < 0 or (positive and value == 0):
        raise ScenarioError(path, f"must be a number {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError(path, f"must be a non-empty string, got {value!r}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(path, f"must be true or false, got {value!r}")
    return value


def _str_list(value: Any, path: str) -> list[str]:
    items = _list(value, path)
    return [_str(v, f"{path}[{i}]") for i, v in enumerate(items)]


# --- sections -------------------------------------------------------------------------------

def _timing(value: Any, path: str) -> Timing:
    d = _mapping(value, path)
    fields = ("rebalance_round_s", "session_timeout_s", "restart_downtime_s", "heartbeat_interval_s",
              "metadata_refresh_s", "event_interval_s")
    _known(d, path, fields)
    return Timing(**{k: _number(d[k], _join(path, k), positive=True) for k in fields if k in d})


def _brokers(value: Any, path: str) -> tuple[Broker, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        return tuple(Broker(i) for i in range(_int(value, path, 1)))
    if isinstance(value, Mapping):
        _known(value, path, ("count", "racks"))
        count = _int(value.get("count", 3), _join(path, "count"), 1)
        racks = _str_list(value.get("racks", []), _join(path, "racks"))
        return tuple(Broker(i, racks[i % len(racks)] if racks else None) for i in range(count))
    out: list[Broker] = []
    for i, raw in enumerate(_list(value, path)):
        p = f"{path}[{i}]"
        d = _mapping(raw, p)
        _known(d, p, ("id", "rack"))
        bid = _int(_required(d, "id", p), f"{p}.id", 0)
        if any(b.id == bid for b in out):
            raise ScenarioError(f"{p}.id", f"duplicate broker id {bid}")
        out.append(Broker(bid, _str(d["rack"], f"{p}.rack") if "rack" in d else None))
    if not out:
        raise ScenarioError(path, "at least one broker is needed")
    return tuple(out)


def _topic(d: Mapping[str, Any], p: str, name_key: str = "name") -> Topic:
    name = _str(_required(d, name_key, p), _join(p, name_key))
    partitions = _int(_required(d, "partitions", p), _join(p, "partitions"), 1)
    replication = _int(d.get("replication", 1), _join(p, "replication"), 1)
    return Topic(name, partitions, replication)


def _topics(value: Any, path: str) -> tuple[Topic, ...]:
    out: list[Topic] = []
    for i, raw in enumerate(_list(value, path)):
        p = f"{path}[{i}]"
        d = _mapping(raw, p)
        _known(d, p, ("name", "partitions", "replication"))
        t = _topic(d, p)
        if any(o.name == t.name for o in out):
            raise ScenarioError(f"{p}.name", f"duplicate topic {t.name!r}")
        out.append(t)
    if not out:
        raise ScenarioError(path, "at least one topic is needed")
    return tuple(out)


def _producer(value: Any, path: str, topics: set[str], base_dir: Path | None) -> ProducerSpec:
    d = _mapping(value, path)
    _known(d, path, ("topic", "partitioner", "partitioner_options", "keys", "records", "rate_per_s",
                     "record_bytes", "linger_ms", "batch_size"))
    topic = _str(_required(d, "topic", path), f"{path}.topic")
    if topic not in topics:
        raise ScenarioError(f"{path}.topic", f"unknown topic {topic!r}")
    partitioner = _str(d.get("partitioner", "murmur2"), f"{path}.partitioner")
    import partitioning
    from kpart.simulation.keys import check_partitioner

    if partitioner not in partitioning.names():
        raise ScenarioError(f"{path}.partitioner",
                            f"unknown partitioner {partitioner!r}; known: {', '.join(partitioning.names())}")
    kp = f"{path}.keys"
    kd = _mapping(d.get("keys", {}), kp)
    _known(kd, kp, ("distribution", "count", "exponent", "file"))
    dist = kd.get("distribution", "uniform")
    if dist not in DISTRIBUTIONS:
        raise ScenarioError(f"{kp}.distribution", f"must be one of {', '.join(DISTRIBUTIONS)}, got {dist!r}")
    file = None
    if dist == "file":
        file = Path(_str(_required(kd, "file", kp), f"{kp}.file"))
        if base_dir is not None and not file.is_absolute():
            file = base_dir / file
        if not file.is_file():
            raise ScenarioError(f"{kp}.file", f"no such key file: {file}")
    keys = KeySpec(
        dist,
        _int(kd.get("count", 1000), f"{kp}.count", 1),
        _number(kd.get("exponent", 1.1), f"{kp}.exponent", positive=True),
        file,
    )
    options = tuple(_mapping(d.get("partitioner_options", {}), f"{path}.partitioner_options").items())
    sample = next((line for line in file.read_bytes().splitlines() if line), b"") if file else b"key-0"
    try:
        check_partitioner(partitioner, options, sample)
    except ValueError as exc:
        where = f"{path}.partitioner_options" if options else f"{path}.partitioner"
        raise ScenarioError(where, f"{exc}; set options in {path}.partitioner_options") from None
    return ProducerSpec(
        topic,
        partitioner,
        keys,
        _int(d.get("records", 100_000), f"{path}.records", 1),
        _number(d.get("rate_per_s", 10_000.0), f"{path}.rate_per_s", positive=True),
        _int(d.get("record_bytes", 200), f"{path}.record_bytes", 1),
        _number(d.get("linger_ms", 5.0), f"{path}.linger_ms"),
        _int(d.get("batch_size", 16384), f"{path}.batch_size", 1),
        options,
    )


class _Context:
    """What validation knows while walking the timeline: topics, racks, the current group."""

    def __init__(self, topics: set[str], racks: set[str], initial_topics: list[str],
                 broker_version: str = "4.1") -> None:
        self.broker_version = broker_version
        self.topics = topics
        self.racks = racks
        self.initial_topics = initial_topics
        self.group: dict[str, MemberSpec] = {}
        self.used: set[str] = set()
        self.gone: dict[str, str] = {}  # member -> "left at events[3]" (until it joins again)

    def rack(self, value: Any, path: str) -> str:
        rack = _str(value, path)
        if self.racks and rack not in self.racks:
            raise ScenarioError(path,
                                f"unknown rack {rack!r}; brokers are in {', '.join(sorted(self.racks))}")
        return rack

    def subscription(self, value: Any, path: str) -> frozenset[str]:
        names = _str_list(value, path)
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
            check_broker_supports(resolve_strategy(_str(value, path)), self.broker_version)
        except ValueError as exc:
            raise ScenarioError(path, str(exc)) from None
        return str(value)

    def member(self, value: Any, path: str) -> str:
        name = _str(value, path)
        if name in self.gone and name not in self.group:
            raise ScenarioError(path, f"member {name!r} already {self.gone[name]}")
        if name not in self.group:
            raise ScenarioError(path, f"unknown member {name!r}")
        return name

    def member_entry(self, d: Mapping[str, Any], p: str, extra: tuple[str, ...] = ()) -> list[MemberSpec]:
        """One ``members`` entry (or the member part of a ``join``): a single member or a batch."""
        _known(d, p, (*extra, "name", "count", "prefix", "topics", "rack", "racks", "static", "strategy"))
        topics = (self.subscription(d["topics"], f"{p}.topics") if "topics" in d
                  else frozenset(self.initial_topics))
        static = _bool(d.get("static", False), f"{p}.static")
        strategy = self.strategy(d["strategy"], f"{p}.strategy") if "strategy" in d else None
        if "name" in d:
            for bad in ("count", "prefix", "racks"):
                if bad in d:
                    raise ScenarioError(f"{p}.{bad}", "not allowed with 'name' (one member)")
            name = _str(d["name"], f"{p}.name")
            if name in self.group:
                raise ScenarioError(f"{p}.name", f"member {name!r} is already in the group")
            rack = self.rack(d["rack"], f"{p}.rack") if "rack" in d else None
            self.used.add(name)
            return [MemberSpec(name, topics, rack, static, strategy)]
        if "rack" in d:
            raise ScenarioError(f"{p}.rack", "use 'racks' (a list, cycled) with 'count'")
        count = _int(_required(d, "count", p), f"{p}.count", 1)
        prefix = _str(d.get("prefix", "c"), f"{p}.prefix")
        racks = [self.rack(r, f"{p}.racks[{i}]") for i, r in enumerate(_list(d.get("racks", []),
                                                                             f"{p}.racks"))]
        start = 0
        for used in self.used:
            if used.startswith(prefix) and used[len(prefix):].isdigit():
                start = max(start, int(used[len(prefix):]) + 1)
        out = []
        for i in range(count):
            name = f"{prefix}{start + i}"
            self.used.add(name)
            out.append(MemberSpec(name, topics, racks[i % len(racks)] if racks else None, static, strategy))
        return out


def _events(
    raw_events: list[Any], ctx: _Context, timing: Timing, brokers: tuple[Broker, ...],
    topics: tuple[Topic, ...],
) -> list[Event]:
    counts = {t.name: t.partitions for t in topics}
    live_brokers = {b.id for b in brokers}
    out: list[Event] = []
    now = 0.0
    for i, raw in enumerate(raw_events):
        p = f"events[{i}]"
        d = _mapping(raw, p)
        kind = _required(d, "type", p)
        if kind not in EVENT_TYPES:
            raise ScenarioError(f"{p}.type",
                                f"unknown event type {kind!r}; expected one of {', '.join(EVENT_TYPES)}")
        if "at" in d:
            at = _number(d["at"], f"{p}.at")
            if at < now:
                raise ScenarioError(f"{p}.at", f"events must be in time order; {at:g} is before {now:g}")
        else:
            at = now + timing.event_interval_s
        now = at
        ev: Event
        if kind == "join":
            members = ctx.member_entry(d, p, ("type", "at"))
            for m in members:
                ctx.group[m.name] = m
            ev = Join(at, tuple(members))
        elif kind in ("leave", "crash"):
            _known(d, p, ("type", "at", "member"))
            name = ctx.member(_required(d, "member", p), f"{p}.member")
            del ctx.group[name]
            ctx.gone[name] = f"{'left' if kind == 'leave' else 'crashed'} at {p}"
            ev = Leave(at, name) if kind == "leave" else Crash(at, name)
        elif kind == "rolling_restart":
            _known(d, p, ("type", "at", "members", "interval_s", "strategy"))
            sel = d.get("members", "all")
            if sel == "all":
                names = tuple(ctx.group)
            else:
                names = tuple(ctx.member(v, f"{p}.members[{j}]") for j, v in enumerate(_list(sel,
                                                                                             f"{p}.members")))
            interval = _number(d.get("interval_s", 30.0), f"{p}.interval_s")
            into = ctx.strategy(d["strategy"], f"{p}.strategy") if "strategy" in d else None
            if into is not None:
                ctx.group.update({n: replace(ctx.group[n], strategy=into) for n in names})
            ev = RollingRestart(at, names, interval, into)
        elif kind == "static_bounce":
            _known(d, p, ("type", "at", "member", "downtime_s"))
            name = ctx.member(_required(d, "member", p), f"{p}.member")
            if not ctx.group[name].static:
                raise ScenarioError(f"{p}.member", f"member {name!r} is not static (set static: true)")
            down = _number(d.get("downtime_s", timing.restart_downtime_s), f"{p}.downtime_s", positive=True)
            ev = StaticBounce(at, name, down)
        elif kind == "subscribe":
            _known(d, p, ("type", "at", "member", "topics"))
            name = ctx.member(_required(d, "member", p), f"{p}.member")
            subs = ctx.subscription(_required(d, "topics", p), f"{p}.topics")
            old = ctx.group[name]
            ctx.group[name] = replace(old, topics=subs)
            ev = Subscribe(at, name, subs)
        elif kind == "create_topic":
            _known(d, p, ("type", "at", "name", "partitions", "replication"))
            t = _topic(d, p)
            if t.name in counts:
                raise ScenarioError(f"{p}.name", f"topic {t.name!r} already exists")
            counts[t.name] = t.partitions
            ev = CreateTopic(at, t)
        elif kind == "add_partitions":
            _known(d, p, ("type", "at", "topic", "partitions"))
            topic = _str(_required(d, "topic", p), f"{p}.topic")
            if topic not in counts:
                raise ScenarioError(f"{p}.topic", f"unknown topic {topic!r}")
            n = _int(_required(d, "partitions", p), f"{p}.partitions", 1)
            if n <= counts[topic]:
                raise ScenarioError(f"{p}.partitions",
                                    f"must be more than the current {counts[topic]} of {topic!r}")
            counts[topic] = n
            ev = AddPartitions(at, topic, n)
        elif kind == "broker_outage":
            _known(d, p, ("type", "at", "brokers"))
            ids = _list(_required(d, "brokers", p), f"{p}.brokers")
            for j, b in enumerate(ids):
                if b not in live_brokers:
                    raise ScenarioError(f"{p}.brokers[{j}]", f"unknown or already down broker {b!r}")
            live_brokers -= set(ids)
            ev = BrokerOutage(at, tuple(ids))
        else:
            _known(d, p, ("type", "at", "rack"))
            rack = _str(_required(d, "rack", p), f"{p}.rack")
            if rack not in {b.rack for b in brokers if b.id in live_brokers}:
                raise ScenarioError(f"{p}.rack", f"unknown rack {rack!r} (or all its brokers are down)")
            live_brokers -= {b.id for b in brokers if b.rack == rack}
            for name in [n for n, m in ctx.group.items() if m.rack == rack]:
                del ctx.group[name]
                ctx.gone[name] = f"went down with rack {rack!r} at {p}"
            ev = RackOutage(at, rack)
        out.append(ev)
    return out
