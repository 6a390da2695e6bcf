"""aiokafka adapter: our partitioners for ``AIOKafkaProducer``.

Two ways in, because aiokafka's partitioner interface sees little of a record:

1. ``AIOKafkaProducer(partitioner=partitioning.aiokafka.create("murmur2"))`` -- aiokafka calls
   ``partitioner(serialized_key, all_partitions, available)``. The adapter sorts
   ``all_partitions`` first (aiokafka builds that list from a set, so its order is not
   guaranteed), so a key maps to the same partition in every process: Java-exact for
   ``murmur2``, librdkafka-exact for the librdkafka names. aiokafka passes neither the topic,
   the value nor a new-batch signal, so:

   - partitioners that route by the unserialized record (``field``) or route every record by
     bytes sent (``uniform_sticky``) are refused at construction (:class:`TypeError`);
   - a keyless record given to a partitioner that switches partitions by bytes sent (the
     uniform sticky family: ``murmur2``, ``uniform_sticky``, ``murmur3``, ``jump``) raises
     :class:`~partitioning.core.PartitioningError` from ``send()`` -- the sizes it needs are not
     passed, and sticking forever would starve every other partition;
   - other partitioners keep their keyless state (round-robin turn, librdkafka's time-sticky
     partition) for the whole producer rather than per topic, since the topic is not passed.

2. :class:`AiokafkaRouter` -- ``await router.send(producer, topic, value, key=...)`` computes
   the partition with everything the core may use (the unserialized record, the serialized
   key and value, the topic) and calls ``producer.send(..., partition=p)``. Every partitioner
   works this way, including byte-accurate uniform sticky (it switches at ``2 * batch_size``
   bytes because aiokafka gives no new-batch signal) and ``field`` routing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kpart.extras import require
from partitioning import registry
from partitioning.core import Partitioner, PartitioningError, PartitionView, RecordPartitioner, routed
from partitioning.sticky import UniformStickyPartitioner, sticky_state_of

require("aiokafka", "aiokafka")

Serializer = Callable[[Any], bytes | None]

_ALL_TOPICS = "(any topic: aiokafka does not pass it)"


class _LatestView(PartitionView):
    """The partitions aiokafka passed with the current record (``all`` sorted once per change);
    availability is read from the latest call, only when a partitioner asks for it."""

    __slots__ = ("latest",)

    def __init__(self, all: tuple[int, ...]) -> None:
        super().__init__(_ALL_TOPICS, all)
        self.latest: Sequence[int] = all

    @property
    def available(self) -> tuple[int, ...]:
        return tuple(sorted(self.latest))


class AiokafkaPartitioner:
    """``partitioner(serialized_key, all_partitions, available) -> int`` for ``AIOKafkaProducer``.

    ``.core`` is the wrapped core partitioner. The key's partition depends only on the key and
    the partition count, whatever order aiokafka lists the partitions in.
    """

    def __init__(self, core: Partitioner) -> None:
        if not isinstance(core, Partitioner):
            raise TypeError(f"{type(core).__name__} has no partition(key, value, view) method")
        if isinstance(core, RecordPartitioner):
            raise TypeError(
                f"{type(core).__name__} routes by the unserialized record, which aiokafka does not "
                "pass to a partitioner; use partitioning.aiokafka.AiokafkaRouter(core).send(...)"
            )
        if isinstance(core, UniformStickyPartitioner):
            raise TypeError(
                "uniform_sticky routes every record by the bytes sent, which aiokafka does not pass "
                "to a partitioner; use partitioning.aiokafka.AiokafkaRouter(core).send(...)"
            )
        self.core = core
        self._bytes = sticky_state_of(core) is not None
        self._view: _LatestView | None = None

    def __call__(self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        if key is None and self._bytes:
            raise PartitioningError(
                f"{type(self.core).__name__} needs each keyless record's size, which aiokafka does "
                "not pass to a partitioner; send keyless records with "
                "partitioning.aiokafka.AiokafkaRouter(core).send(...)"
            )
        view = self._view
        if view is None or view.count != len(all_partitions) or view.all[-1] != max(all_partitions):
            view = self._view = _LatestView(tuple(sorted(all_partitions)))
        view.latest = available
        return routed(self.core, False, view, None, None, key, None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.core!r})"


class AiokafkaRouter:
    """Routes each record through the core with the whole record, for ``send(partition=...)``.

    ``key_serializer``/``value_serializer`` turn the record into bytes (create the producer
    without serializers: the router serializes once and passes bytes on). The view of a topic
    comes from the producer's cluster metadata: all partitions (sorted) and those with a leader.
    """

    def __init__(self, core: Partitioner, key_serializer: Serializer | None = None,
                 value_serializer: Serializer | None = None) -> None:
        if not isinstance(core, Partitioner):
            raise TypeError(f"{type(core).__name__} has no partition(key, value, view) method")
        self.core = core
        self._by_record = isinstance(core, RecordPartitioner)
        self._key_serializer = key_serializer
        self._value_serializer = value_serializer

    async def view(self, producer: Any, topic: str) -> PartitionView:
        """The topic's partitions as the producer's metadata knows them (fetched if needed)."""
        partitions = await producer.partitions_for(topic)
        if not partitions:
            raise PartitioningError(f"topic {topic!r} has no partitions")
        cluster = producer.client.cluster
        return PartitionView(topic, sorted(partitions),
                             lambda: cluster.available_partitions_for_topic(topic) or ())

    def route(self, view: PartitionView, key: Any, value: Any) -> tuple[int, bytes | None, bytes | None]:
        """(partition, serialized key, serialized value) of one record."""
        k = key if self._key_serializer is None or key is None else self._key_serializer(key)
        v = value if self._value_serializer is None or value is None else self._value_serializer(value)
        return routed(self.core, self._by_record, view, key, value, k, v), k, v

    async def send(self, producer: Any, topic: str, value: Any = None, key: Any = None,
                   **kwargs: Any) -> Any:
        """``producer.send(topic, value, key=key, partition=<routed>, **kwargs)``; returns its
        delivery future."""
        partition, k, v = self.route(await self.view(producer, topic), key, value)
        return await producer.send(topic, v, key=k, partition=partition, **kwargs)


def adapt(core: Any) -> AiokafkaPartitioner:
    """Wrap a core partitioner for ``AIOKafkaProducer(partitioner=...)``."""
    return core if isinstance(core, AiokafkaPartitioner) else AiokafkaPartitioner(core)


def create(name: str, **options: Any) -> AiokafkaPartitioner:
    """``adapt(registry.create(name, **options))``."""
    return adapt(registry.create(name, **options))


def router(name: str, **options: Any) -> AiokafkaRouter:
    """An :class:`AiokafkaRouter` for the partitioner called ``name``."""
    return AiokafkaRouter(registry.create(name, **options))
