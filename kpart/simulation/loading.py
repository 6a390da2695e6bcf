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
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml

from kpart.registry import did_you_mean
from kpart.simulation.events import EVENT_TYPES, Event
from kpart.simulation.model import Broker, KeySpec, MemberSpec, ProducerSpec, Timing, Topic
from kpart.simulation.scenario import Scenario
from kpart.simulation.validation import (
    LIMITS,
    MAX_BROKER_ID,
    ScenarioError,
    Timeline,
    integer,
    join,
    known,
    listed,
    mapping,
    number,
    partition_total,
    required,
    show,
    string,
    string_list,
    topic_entry,
)

__all__ = ["LIMITS", "ScenarioError", "load_scenario", "parse_scenario"]

DISTRIBUTIONS = ("uniform", "zipf", "file")

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
    root = mapping(data, "")
    known(root, "", ("name", "description", "seed", "timing", "brokers", "topics", "members",
                      "producer", "events", "broker_version"))
    version = _broker_version(root.get("broker_version", "4.1"), "broker_version")
    timing = _timing(root.get("timing", {}), "timing")
    brokers = _brokers(root.get("brokers", 3), "brokers")
    topics = _topics(required(root, "topics", ""), "topics", len(brokers))
    raw_events = listed(root.get("events", []), "events")
    if len(raw_events) > LIMITS["events"]:
        raise ScenarioError("events", f"at most {LIMITS['events']:,} events, got {len(raw_events):,}")
    declared = {t.name for t in topics}
    for i, raw in enumerate(raw_events):
        ev = mapping(raw, f"events[{i}]")
        kind = ev.get("type")
        if isinstance(kind, str) and kind in EVENT_TYPES:
            declared.update(EVENT_TYPES[kind].declared_topics(ev))
    ctx = Timeline(declared, brokers, topics, timing, version)
    members: list[MemberSpec] = []
    for i, raw in enumerate(listed(required(root, "members", ""), "members")):
        for m in ctx.member_entry(mapping(raw, f"members[{i}]"), f"members[{i}]"):
            ctx.group[m.name] = m
            members.append(m)
    if not members:
        raise ScenarioError("members", "at least one member is needed")
    events = _events(raw_events, ctx)
    producer = None
    if "producer" in root:
        producer = _producer(root["producer"], "producer", declared, base_dir)
    seed = root.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ScenarioError("seed", f"must be an integer, got {show(seed)}")
    integer(seed, "seed", 0, 2**64 - 1)
    name = string(root.get("name", default_name), "name")
    description = root.get("description", "")
    if not isinstance(description, str):
        raise ScenarioError("description", "must be a string")
    return Scenario(name, brokers, topics, tuple(members), tuple(events), producer, timing, seed,
                    description, version)


def _broker_version(value: Any, path: str) -> str:
    from kpart.simulation.protocols import broker_version

    text = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
    try:
        broker_version(string(text, path))
    except ValueError as exc:
        raise ScenarioError(path, str(exc)) from None
    return str(text)


# --- sections -------------------------------------------------------------------------------

def _timing(value: Any, path: str) -> Timing:
    d = mapping(value, path)
    fields = ("rebalance_round_s", "session_timeout_s", "restart_downtime_s", "heartbeat_interval_s",
              "metadata_refresh_s", "event_interval_s")
    known(d, path, fields)
    return Timing(**{k: number(d[k], join(path, k), positive=True) for k in fields if k in d})


def _brokers(value: Any, path: str) -> tuple[Broker, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        return tuple(Broker(i) for i in range(integer(value, path, 1, LIMITS["brokers"])))
    if isinstance(value, Mapping):
        known(value, path, ("count", "racks"))
        count = integer(value.get("count", 3), join(path, "count"), 1, LIMITS["brokers"])
        racks = string_list(value.get("racks", []), join(path, "racks"))
        return tuple(Broker(i, racks[i % len(racks)] if racks else None) for i in range(count))
    out: list[Broker] = []
    entries = listed(value, path)
    if len(entries) > LIMITS["brokers"]:
        raise ScenarioError(path, f"at most {LIMITS['brokers']:,} brokers, got {len(entries):,}")
    for i, raw in enumerate(entries):
        p = f"{path}[{i}]"
        d = mapping(raw, p)
        known(d, p, ("id", "rack"))
        bid = integer(required(d, "id", p), f"{p}.id", 0, MAX_BROKER_ID)
        if any(b.id == bid for b in out):
            raise ScenarioError(f"{p}.id", f"duplicate broker id {bid}")
        out.append(Broker(bid, string(d["rack"], f"{p}.rack") if "rack" in d else None))
    if not out:
        raise ScenarioError(path, "at least one broker is needed")
    return tuple(out)


def _topics(value: Any, path: str, brokers: int) -> tuple[Topic, ...]:
    out: list[Topic] = []
    for i, raw in enumerate(listed(value, path)):
        p = f"{path}[{i}]"
        d = mapping(raw, p)
        known(d, p, ("name", "partitions", "replication"))
        t = topic_entry(d, p, brokers)
        if any(o.name == t.name for o in out):
            raise ScenarioError(f"{p}.name", f"duplicate topic {t.name!r}")
        out.append(t)
        partition_total({o.name: o.partitions for o in out}, f"{p}.partitions")
    if not out:
        raise ScenarioError(path, "at least one topic is needed")
    return tuple(out)


def _producer(value: Any, path: str, topics: set[str], base_dir: Path | None) -> ProducerSpec:
    d = mapping(value, path)
    known(d, path, ("topic", "partitioner", "partitioner_options", "keys", "records", "rate_per_s",
                     "record_bytes", "linger_ms", "batch_size"))
    topic = string(required(d, "topic", path), f"{path}.topic")
    if topic not in topics:
        raise ScenarioError(f"{path}.topic", f"unknown topic {topic!r}")
    partitioner = string(d.get("partitioner", "murmur2"), f"{path}.partitioner")
    import partitioning
    from kpart.simulation.keys import check_partitioner

    if partitioner not in partitioning.names():
        names = partitioning.names()
        raise ScenarioError(f"{path}.partitioner", f"unknown partitioner {partitioner!r}"
                            f"{did_you_mean(partitioner, names)}; known: {', '.join(names)}")
    kp = f"{path}.keys"
    kd = mapping(d.get("keys", {}), kp)
    known(kd, kp, ("distribution", "count", "exponent", "file"))
    dist = kd.get("distribution", "uniform")
    if dist not in DISTRIBUTIONS:
        raise ScenarioError(f"{kp}.distribution", f"must be one of {', '.join(DISTRIBUTIONS)}, got {dist!r}")
    file = None
    if dist == "file":
        file = Path(string(required(kd, "file", kp), f"{kp}.file"))
        if base_dir is not None and not file.is_absolute():
            file = base_dir / file
        if not file.is_file():
            raise ScenarioError(f"{kp}.file", f"no such key file: {file}")
        _key_file(file, f"{kp}.file")
    keys = KeySpec(
        dist,
        integer(kd.get("count", 1000), f"{kp}.count", 1, LIMITS["keys"]),
        number(kd.get("exponent", 1.1), f"{kp}.exponent", positive=True, maximum=100),
        file,
    )
    options = tuple(mapping(d.get("partitioner_options", {}), f"{path}.partitioner_options").items())
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
        integer(d.get("records", 100_000), f"{path}.records", 1, LIMITS["records"]),
        number(d.get("rate_per_s", 10_000.0), f"{path}.rate_per_s", positive=True, maximum=1e12),
        integer(d.get("record_bytes", 200), f"{path}.record_bytes", 1, 2**31 - 1),
        number(d.get("linger_ms", 5.0), f"{path}.linger_ms", maximum=1000 * LIMITS["seconds"]),
        integer(d.get("batch_size", 16384), f"{path}.batch_size", 1, 2**31 - 1),
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


def _events(raw_events: list[Any], ctx: Timeline) -> list[Event]:
    """Each event parsed by its type's :meth:`Event.parse`, in time order."""
    out: list[Event] = []
    now = 0.0
    for i, raw in enumerate(raw_events):
        p = f"events[{i}]"
        d = mapping(raw, p)
        kind = required(d, "type", p)
        if not isinstance(kind, str) or kind not in EVENT_TYPES:
            raise ScenarioError(f"{p}.type",
                                f"unknown event type {show(kind)}; expected one of {', '.join(EVENT_TYPES)}")
        if "at" in d:
            at = number(d["at"], f"{p}.at")
            if at < now:
                raise ScenarioError(f"{p}.at", f"events must be in time order; {at:g} is before {now:g}")
        else:
            at = now + ctx.timing.event_interval_s
        now = at
        out.append(EVENT_TYPES[kind].parse(d, p, at, ctx))
    return out
