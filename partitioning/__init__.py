"""Producer-side partitioners: which partition does a record go to?

>>> import partitioning
>>> producer = KafkaProducer(partitioner=partitioning.create("murmur2"))

:func:`create` returns a kafka-python ``Partitioner`` wrapping a client-agnostic core
partitioner (``.core``); :func:`create_core` returns the core alone
(``partition(key, value, view) -> int``, see :mod:`partitioning.core`). :func:`names` lists
every name, including third-party partitioners registered under the ``kpart.partitioners``
entry-point group.
"""

from partitioning.core import Partitioner, PartitioningError, PartitionView
from partitioning.kafka_python import KafkaPythonPartitioner, adapt, create
from partitioning.producer import BoundedProducer, BufferExhaustedError
from partitioning.registry import ENTRY_POINT_GROUP, names, register
from partitioning.registry import create as create_core

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
