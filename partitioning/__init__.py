"""Producer-side partitioners: which partition does a record go to?

>>> import partitioning
>>> producer = KafkaProducer(partitioner=partitioning.kafka_python.create("murmur2"))

Each name means one thing: ``partitioning.registry.create(name)`` builds the client-agnostic
core partitioner (``partition(key, value, view) -> int``, see :mod:`partitioning.core`);
``partitioning.<client>.create(name)`` wraps that core for one client
(:mod:`partitioning.kafka_python` for ``KafkaProducer``, :mod:`partitioning.aiokafka` for
``AIOKafkaProducer``; :mod:`partitioning.confluent` routes with ``router``). :func:`names`
lists every name, including third-party partitioners registered under the
``kpart.partitioners`` entry-point group.

Importing this package loads no Kafka client (and not numpy): the client modules and the
kafka-python names (``adapt``, ``KafkaPythonPartitioner``, ``BoundedProducer``,
``BufferExhaustedError``) are imported on first use, and raise an ``ImportError`` naming the
extra (e.g. ``kpart[kafka-python]``) when the client is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from partitioning.core import Partitioner, PartitioningError, PartitionView
from partitioning.registry import ENTRY_POINT_GROUP, names, register

if TYPE_CHECKING:
    from partitioning.kafka_python import KafkaPythonPartitioner, adapt
    from partitioning.producer import BoundedProducer, BufferExhaustedError

_LAZY: dict[str, str] = {
    "KafkaPythonPartitioner": "partitioning.kafka_python",
    "adapt": "partitioning.kafka_python",
    "BoundedProducer": "partitioning.producer",
    "BufferExhaustedError": "partitioning.producer",
}

_CLIENT_MODULES: dict[str, str] = {"kafka_python": "kafka-python", "aiokafka": "aiokafka",
                                   "confluent": "confluent"}

_RENAMED: dict[str, str] = {
    "create": "partitioning.kafka_python.create(name) wraps a partitioner for KafkaProducer;"
              " partitioning.registry.create(name) builds the client-free core",
    "create_core": "the client-free core is partitioning.registry.create(name)",
}


def __getattr__(name: str) -> Any:
    from kpart.extras import import_adapter

    if name in _CLIENT_MODULES:
        return import_adapter(f"partitioning.{name}", _CLIENT_MODULES[name])
    module = _LAZY.get(name)
    if module is None:
        hint = f": {_RENAMED[name]}" if name in _RENAMED else ""
        raise AttributeError(f"module 'partitioning' has no attribute {name!r}{hint}")
    value = getattr(import_adapter(module, "kafka-python"), name)
    globals()[name] = value
    return value


__all__ = [
    "BoundedProducer",
    "BufferExhaustedError",
    "ENTRY_POINT_GROUP",
    "KafkaPythonPartitioner",
    "PartitionView",
    "Partitioner",
    "PartitioningError",
    "adapt",
    "names",
    "register",
]
