"""Load and validate scenarios from YAML or JSON.

Every problem raises :class:`ScenarioError` whose one-line message starts with the path of the
bad field, e.g. ``events[3].member: unknown member 'c9'``. Validation follows the timeline, so a
member must have joined (and not left or crashed) before an event can name it.

Sizes are checked against :data:`LIMITS` before anything is built, so a scenario that would
take minutes or exhaust memory is refused within milliseconds. Numbers must be finite, YAML and
JSON files may not repeat a key, and a file must be UTF-8.
"""

from __future__ import annotations

import json
import math
import reprlib
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from kpart.registry import did_you_mean
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


def load_scenario(path: str | Path) -> Scenario:
    """Read a ``.yaml``/``.yml``/``.json`` scenario file and validate it.

    Errors name the file and the field: ``scale.yaml: topics[0].partitions: must be ...``.
    """
    path = Path(path)
    try:
        return parse_scenario(_read(path), default_name=path.stem, base_dir=path.parent)
    except ScenarioError as exc:
        raise ScenarioError(f"{path.name}: {exc.path}" if exc.path else path.name, exc.problem) from None


def _read(path: Path) -> Any:
    """The parsed document; errors are :class:`ScenarioError` with an empty path."""
    try:
        if path.stat().st_size > LIMITS["file_bytes"]:
            raise ScenarioError("", f"larger than {LIMITS['file_bytes'] >> 20} MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError("", f"cannot read the scenario: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError("", f"not UTF-8 text (line {line} has byte {raw[exc.start]:#04x})") from None
    is_json = path.suffix.lower() == ".json"
    try:
        return _parse_json(text) if is_json else yaml.load(text, Loader=_StrictLoader)  # noqa: S506
    except json.JSONDecodeError as exc:
        raise ScenarioError("", f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError("", f"not valid YAML: {_yaml_problem(exc)}") from None
    except RecursionError:
        raise ScenarioError("", "nested too deeply") from None


def _parse_json(text: str) -> Any:
    def refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ScenarioError("", f"not valid JSON: duplicate key {key!r}")
            out[key] = value
        return out

    def refuse_constant(name: str) -> None:
        raise ScenarioError("", f"not valid JSON: {name} is not a number")

    return json.loads(text, object_pairs_hook=refuse_duplicates, parse_constant=refuse_constant)


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a mapping that repeats a key (PyYAML keeps the last)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            continue  # construct_mapping reports it
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark is not None else problem


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
    topics = _topics(_required(root, "topics", ""), "topics", len(brokers))
    raw_events = _list(root.get("events", []), "events")
    if len(raw_events) > LIMITS["events"]:
        raise ScenarioError("events", f"at most {LIMITS['events']:,} events, got {len(raw_events):,}")
    declared = {t.name for t in topics}
    for i, raw in enumerate(raw_events):
        ev = _mapping(raw, f"events[{i}]")
        if ev.get("type") == "create_topic" and isinstance(ev.get("name"), str):
            declared.add(ev["name"])
    ctx = _Context(declared, racks, [t.name for t in topics], version)
    members: list[MemberSpec] = []
    for i, raw in enumerate(_list(_required(root, "members", ""), "members")):
        for m in ctx.member_entry(_mapping(raw, f"members[{i}]"), f"members[{i}]"):
            ctx.group[m.name] = m
            members.append(m)
    if not members:
        raise ScenarioError("members", "at least one member is needed")
    events = _events(raw_events, ctx, timing, brokers, topics)
    producer = None
    if "producer" in root:
        producer = _producer(root["producer"], "producer", declared, base_dir)
    seed = root.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ScenarioError("seed", f"must be an integer, got {_show(seed)}")
    _int(seed, "seed", 0, 2**64 - 1)
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

def _show(value: Any) -> str:
    """A short repr, safe for huge or deeply nested values."""
    return _short.repr(value)


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


def _int(value: Any, path: str, minimum: int, maximum: int | None = None) -> int:
    """An integer (never a bool) in ``[minimum, maximum]``."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ScenarioError(path, f"must be an integer >= {minimum}, got {_show(value)}")
    if maximum is not None and value > maximum:
        raise ScenarioError(path, f"must be at most {maximum:,}, got {_show(value)}")
    return value


def _number(value: Any, path: str, positive: bool = False, maximum: float = LIMITS["seconds"]) -> float:
    """A finite number (never a bool) in ``[0, maximum]``, or ``(0, maximum]`` when positive."""
    wanted = f"must be a number {'> 0' if positive else '>= 0'}"
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ScenarioError(path, f"{wanted}, got {_show(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(path, f"must be a finite number, got {_show(value)}")
    if value < 0 or (positive and value == 0):
        raise ScenarioError(path, f"{wanted}, got {_show(value)}")
    if value > maximum:
        raise ScenarioError(path, f"must be at most {maximum:,g}, got {_show(value)}")
    return float(value)


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise ScenarioError(path, f"must be a non-empty string, got {_show(value)}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError(path, f"must be true or false, got {_show(value)}")
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
        return tuple(Broker(i) for i in range(_int(value, path, 1, LIMITS["brokers"])))
    if isinstance(value, Mapping):
        _known(value, path, ("count", "racks"))
        count = _int(value.get("count", 3), _join(path, "count"), 1, LIMITS["brokers"])
        racks = _str_list(value.get("racks", []), _join(path, "racks"))
        return tuple(Broker(i, racks[i % len(racks)] if racks else None) for i in range(count))
    out: list[Broker] = []
    listed = _list(value, path)
    if len(listed) > LIMITS["brokers"]:
        raise ScenarioError(path, f"at most {LIMITS['brokers']:,} brokers, got {len(listed):,}")
    for i, raw in enumerate(listed):
        p = f"{path}[{i}]"
        d = _mapping(raw, p)
        _known(d, p, ("id", "rack"))
        bid = _int(_required(d, "id", p), f"{p}.id", 0, MAX_BROKER_ID)
        if any(b.id == bid for b in out):
            raise ScenarioError(f"{p}.id", f"duplicate broker id {bid}")
        out.append(Broker(bid, _str(d["rack"], f"{p}.rack") if "rack" in d else None))
    if not out:
        raise ScenarioError(path, "at least one broker is needed")
    return tuple(out)


def _topic(d: Mapping[str, Any], p: str, brokers: int) -> Topic:
    name = _str(_required(d, "name", p), _join(p, "name"))
    partitions = _int(_required(d, "partitions", p), _join(p, "partitions"), 1, LIMITS["partitions"])
    replication = _int(d.get("replication", 1), _join(p, "replication"), 1)
    if replication > brokers:
        raise ScenarioError(_join(p, "replication"),
                            f"{replication} replicas need {replication} brokers; the scenario has {brokers}")
    return Topic(name, partitions, replication)


def _partition_total(counts: Mapping[str, int], path: str) -> None:
    total = sum(counts.values())
    if total > LIMITS["partitions"]:
        raise ScenarioError(path, f"{total:,} partitions in all topics; at most {LIMITS['partitions']:,}")


def _topics(value: Any, path: str, brokers: int) -> tuple[Topic, ...]:
    out: list[Topic] = []
    for i, raw in enumerate(_list(value, path)):
        p = f"{path}[{i}]"
        d = _mapping(raw, p)
        _known(d, p, ("name", "partitions", "replication"))
        t = _topic(d, p, brokers)
        if any(o.name == t.name for o in out):
            raise ScenarioError(f"{p}.name", f"duplicate topic {t.name!r}")
        out.append(t)
        _partition_total({o.name: o.partitions for o in out}, f"{p}.partitions")
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
        known = partitioning.names()
        raise ScenarioError(f"{path}.partitioner", f"unknown partitioner {partitioner!r}"
                            f"{did_you_mean(partitioner, known)}; known: {', '.join(known)}")
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
        _key_file(file, f"{kp}.file")
    keys = KeySpec(
        dist,
        _int(kd.get("count", 1000), f"{kp}.count", 1, LIMITS["keys"]),
        _number(kd.get("exponent", 1.1), f"{kp}.exponent", positive=True, maximum=100),
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
        _int(d.get("records", 100_000), f"{path}.records", 1, LIMITS["records"]),
        _number(d.get("rate_per_s", 10_000.0), f"{path}.rate_per_s", positive=True, maximum=1e12),
        _int(d.get("record_bytes", 200), f"{path}.record_bytes", 1, 2**31 - 1),
        _number(d.get("linger_ms", 5.0), f"{path}.linger_ms", maximum=1000 * LIMITS["seconds"]),
        _int(d.get("batch_size", 16384), f"{path}.batch_size", 1, 2**31 - 1),
        options,
    )


def _key_file(file: Path, path: str) -> None:
    """A key file must hold at least one key and at most ``LIMITS['keys']`` distinct ones."""
    try:
        if file.stat().st_size > LIMITS["file_bytes"]:
            raise ScenarioError(path, f"{file.name}: larger than {LIMITS['file_bytes'] >> 20} MiB")
        distinct = {line for line in file.read_bytes().splitlines() if line}
    except OSError as exc:
        raise ScenarioError(path, f"cannot read {file.name}: {exc.strerror or exc}") from exc
    if not distinct:
        raise ScenarioError(path, f"{file.name} holds no key (one key per non-empty line)")
    if len(distinct) > LIMITS["keys"]:
        raise ScenarioError(path, f"{file.name} holds {len(distinct):,} distinct keys; at most "
                                  f"{LIMITS['keys']:,}")


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

    def _use(self, count: int, path: str) -> int:
        if len(self.used) + count > LIMITS["members"]:
            raise ScenarioError(path, f"more than {LIMITS['members']:,} member names in the scenario")
        return count

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
            self._use(1, f"{p}.name")
            self.used.add(name)
            return [MemberSpec(name, topics, rack, static, strategy)]
        if "rack" in d:
            raise ScenarioError(f"{p}.rack", "use 'racks' (a list, cycled) with 'count'")
        count = self._use(_int(_required(d, "count", p), f"{p}.count", 1, LIMITS["members"]), f"{p}.count")
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
            if name in self.group:
                raise ScenarioError(f"{p}.prefix", f"member {name!r} is already in the group")
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
        if not isinstance(kind, str) or kind not in EVENT_TYPES:
            raise ScenarioError(f"{p}.type",
                                f"unknown event type {_show(kind)}; expected one of {', '.join(EVENT_TYPES)}")
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
            t = _topic(d, p, len(brokers))
            if t.name in counts:
                raise ScenarioError(f"{p}.name", f"topic {t.name!r} already exists")
            counts[t.name] = t.partitions
            _partition_total(counts, f"{p}.partitions")
            ev = CreateTopic(at, t)
        elif kind == "add_partitions":
            _known(d, p, ("type", "at", "topic", "partitions"))
            topic = _str(_required(d, "topic", p), f"{p}.topic")
            if topic not in counts:
                raise ScenarioError(f"{p}.topic", f"unknown topic {topic!r}")
            n = _int(_required(d, "partitions", p), f"{p}.partitions", 1, LIMITS["partitions"])
            if n <= counts[topic]:
                raise ScenarioError(f"{p}.partitions",
                                    f"must be more than the current {counts[topic]} of {topic!r}")
            counts[topic] = n
            _partition_total(counts, f"{p}.partitions")
            ev = AddPartitions(at, topic, n)
        elif kind == "broker_outage":
            _known(d, p, ("type", "at", "brokers"))
            ids = [_int(b, f"{p}.brokers[{j}]", 0, MAX_BROKER_ID)
                   for j, b in enumerate(_list(_required(d, "brokers", p), f"{p}.brokers"))]
            for j, b in enumerate(ids):
                if b not in live_brokers:
                    raise ScenarioError(f"{p}.brokers[{j}]", f"unknown or already down broker {b!r}")
                live_brokers.discard(b)
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
