"""Names -> partitioner factories; third parties register through entry points.

A package adds a partitioner by declaring, in its own ``pyproject.toml``::

    [project.entry-points."kpart.partitioners"]
    my_hash = "my_package.partitioners:MyPartitioner"

The entry point must load a callable returning an object with
``partition(key, value, view) -> int``. A name means one partitioner: registering a known name
is refused, and an entry point reusing a known name is skipped with a warning. The registry
shape is :class:`kpart.registry.Registry`, shared with the assignors.
"""

from __future__ import annotations

from typing import Any

from kpart.registry import Factory, Registry, RegistryError
from partitioning import librdkafka
from partitioning.default import KafkaPythonDefaultPartitioner
from partitioning.field import FieldPartitioner
from partitioning.java import Murmur2Partitioner
from partitioning.jump import JumpPartitioner
from partitioning.murmur3 import Murmur3Partitioner
from partitioning.round_robin import RoundRobinPartitioner
from partitioning.sticky import UniformStickyPartitioner

ENTRY_POINT_GROUP = "kpart.partitioners"

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


class PartitionerRegistryError(RegistryError):
    """An unknown partitioner name, a refused registration or options it does not take."""


_REGISTRY: Registry[Any] = Registry(
    "partitioner", ENTRY_POINT_GROUP, BUILTIN,
    check=lambda made: callable(getattr(made, "partition", None)),
    expected="a partitioner (an object with partition(key, value, view))",
    error=PartitionerRegistryError,
)


def register(name: str, factory: Factory) -> None:
    """Register ``factory`` under ``name`` at run time (entry points are the packaged way);
    a name already known (built-in, registered or an entry point) is refused."""
    _REGISTRY.register(name, factory)


def check_name(name: str) -> None:
    """Raise :class:`PartitionerRegistryError` unless :func:`create` knows ``name`` (a spelling
    that differs only in ``-``, ``_`` or case is named in a "did you mean")."""
    _REGISTRY.check_name(name)


def names() -> list[str]:
    """Every name :func:`create` accepts: built-ins, registered and entry points, sorted."""
    return _REGISTRY.names()


def create(name: str, **options: Any) -> Any:
    """A new core partitioner called ``name``, configured with ``options``.

    Raises :class:`PartitionerRegistryError` (also a ``ValueError`` and a ``TypeError``) for an
    unknown name (listing the known ones), for options the partitioner does not take (checked
    against its signature before it is built) and for a factory that builds no partitioner.
    Errors raised while the partitioner is built are its own. Wrap the result with
    ``partitioning.kafka_python.adapt`` (or use ``partitioning.kafka_python.create``) to plug
    it into ``KafkaProducer``.
    """
    return _REGISTRY.create(name, **options)
