"""Producer-side partitioners: which partition does a record go to?

>>> import partitioning
>>> producer = KafkaProducer(partitioner=partitioning.create("murmur2"))

:func:`create` returns a kafka-python ``Partitioner`` wrapping a client-agnostic core
partitioner (``.core``); :func:`create_core` returns the core alone
(``partition(key, value, view) -> int``, see :mod:`partitioning.core`). :func:`names` lists
every name, including third-party partitioners registered under the ``kpart.partitioners``
entry-point group. Adapters for other clients: :mod:`partitioning.aiokafka`,
:mod:`partitioning.confluent`.

Importing this package loads no Kafka client (and not numpy): the kafka-python names
(``create``, ``adapt``, ``KafkaPythonPartitioner``, ``BoundedProducer``,
``BufferExhaustedError``) are imported on first use, and raise an ``ImportError`` naming the
``kpart[kafka-python]`` extra when kafka-python is not installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from partitioning.core import Partitioner, PartitioningError, PartitionView
from partitioning.registry import ENTRY_POINT_GROUP, names, register
from partitioning.registry import create as create_core

if TYPE_CHECKING:
    from partitioning.kafka_python import KafkaPythonPartitioner, adapt, create
    from partitioning.producer import BoundedProducer, BufferExhaustedError

_LAZY: dict[str, str] = {
    "KafkaPythonPartitioner": "partitioning.kafka_python",
    "adapt": "partitioning.kafka_python",
    "create": "partitioning.kafka_python",
    "BoundedProducer": "partitioning.producer",
    "BufferExhaustedError": "partitioning.producer",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'partitioning' has no attribute {name!r}")
    from kpart.extras import import_adapter

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
    "create",
    "create_core",
    "names",
    "register",
]
