"""Names -> partitioner factories; third parties register through entry points.

A package adds a partitioner by declaring, in its own ``pyproject.toml``::

    [project.entry-points."kpart.partitioners"]
    my_hash = "my_package.partitioners:MyPartitioner"

The entry point must load a callable returning an object with
``partition(key, value, view) -> int``. Built-in names win over entry points of the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from partitioning import librdkafka
from partitioning.default import KafkaPythonDefaultPartitioner
from partitioning.field import FieldPartitioner
from partitioning.java import Murmur2Partitioner
from partitioning.jump import JumpPartitioner
from partitioning.murmur3 import Murmur3Partitioner
from partitioning.round_robin import RoundRobinPartitioner
from partitioning.sticky import UniformStickyPartitioner

ENTRY_POINT_GROUP = "kpart.partitioners"

Factory = Callable[..., Any]

BUILTIN: dict[str, Factory] = {
    "murmur2": Murmur2Partitioner,
    "murmur2_random": librdkafka.murmur2_random,
    "consistent": librdkafka.consistent,
    "consistent_random": librdkafka.consistent_random,
    "fnv1a": librdkafka.fnv1a_partitioner,
    "fnv1a_random": librdkafka.fnv1a_random,
    "random": librdkafka.random_partitioner,
    "round_robin": RoundRobinPartitioner,
    "uniform_sticky": UniformStickyPartitioner,
    "murmur3": Murmur3Partitioner,
    "jump": JumpPartitioner,
    "field": FieldPartitioner,
    "default": KafkaPythonDefaultPartitioner,
}

_registered: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Register ``factory`` under ``name`` at run time (entry points are the packaged way)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"partitioner name must be a non-empty string, got {name!r}")
    if name in BUILTIN:
        raise ValueError(f"{name!r} is a built-in partitioner name")
    _registered[name] = factory


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def names() -> list[str]:
    """Every name :func:`create` accepts: built-ins, registered and entry points, sorted."""
    return sorted(set(BUILTIN) | set(_registered) | set(_entry_points()))


def create(name: str, **options: Any) -> Any:
    """A new core partitioner called ``name``, configured with ``options``.

    Raises ``ValueError`` for an unknown name (listing the known ones) and ``TypeError`` for
    options the partitioner does not take. Wrap the result with
    ``partitioning.kafka_python.adapt`` (or use ``partitioning.kafka_python.create``) to plug
    it into ``KafkaProducer``.
    """
    factory = BUILTIN.get(name) or _registered.get(name)
    if factory is None:
        ep = _entry_points().get(name)
        if ep is None:
            raise ValueError(f"unknown partitioner {name!r}; known: {', '.join(names())}")
        factory = ep.load()
    try:
        return factory(**options)
    except TypeError as exc:
        raise TypeError(f"partitioner {name!r}: {exc}") from exc
