"""What the aiokafka adapter needs from aiokafka beyond its public interface, version-gated.

aiokafka 0.14 gives an assignor neither the group generation nor a member's full subscription,
so the adapter reaches into it here, and only here. Each check fails loudly
(:class:`AiokafkaCompatError`) when aiokafka is not a version this was written against or the
attribute it reads is gone -- never a silent fallback.

- **Subscriptions v1-v3.** The leader decodes every member's metadata with
  ``ConsumerProtocol.METADATA.decode`` (``GroupCoordinator._perform_assignment`` in
  ``aiokafka/consumer/group_coordinator.py``), a v0 schema that drops the owned partitions,
  generation and rack that Java, librdkafka, kafka-python and our members send.
  :func:`install_subscription_decoder` replaces ``ConsumerProtocol.METADATA`` with
  :class:`FullSubscription`: the same class shape (``version``, ``subscription``,
  ``user_data``, so aiokafka's own assignors keep working) plus ``owned_partitions``,
  ``generation_id`` and ``rack_id``. It applies process-wide, to every aiokafka consumer.
  ``group.instance.id`` stays out of reach (the leader unpacks and discards it in the same
  method), so range and round-robin order aiokafka-led static members by member id.
- **Generation.** ``on_assignment(assignment)`` receives no generation; the consumer's
  ``_coordinator.generation`` holds it (:func:`generation_of`).
- **Replica racks.** aiokafka's ``ClusterMetadata`` exposes replicas only in ``_partitions``.
"""

from __future__ import annotations

import inspect
from io import BytesIO
from typing import Any

import aiokafka
from aiokafka.consumer.group_coordinator import GroupCoordinator
from aiokafka.coordinator.protocol import ConsumerProtocol, ConsumerProtocolMemberMetadata
from aiokafka.protocol.types import Array, Bytes, Int16, Int32, Schema, String

SUPPORTED_VERSIONS = ("0.14.",)


class AiokafkaCompatError(RuntimeError):
    """aiokafka changed where the adapter reads from it; the message says what and where."""


def check_version() -> None:
    """Raise unless the installed aiokafka is one the adapter was written against."""
    if not aiokafka.__version__.startswith(SUPPORTED_VERSIONS):
        raise AiokafkaCompatError(
            f"kpart's aiokafka adapter supports aiokafka {', '.join(v + 'x' for v in SUPPORTED_VERSIONS)};"
            f" aiokafka {aiokafka.__version__} is installed: pip install 'kpart[aiokafka]'"
        )


_OWNED = Array(("topic", String("utf-8")), ("partitions", Array(Int32)))

SUBSCRIPTION_V3 = Schema(
    ("version", Int16),
    ("subscription", Array(String("utf-8"))),
    ("user_data", Bytes),
    ("owned_partitions", _OWNED),
    ("generation_id", Int32),
    ("rack_id", String("utf-8")),
)
"""ConsumerProtocolSubscription v3 (Java's ``ConsumerProtocolSubscription.json``)."""


class FullSubscription(ConsumerProtocolMemberMetadata):
    """A member's subscription, v0-v3; the v1+ fields default when the sender omitted them.

    Later versions may append fields (the schema's rule): they are ignored, as Java does.
    """

    owned_partitions: list[tuple[str, list[int]]]
    generation_id: int
    rack_id: str | None

    @classmethod
    def decode(cls, data: BytesIO | bytes) -> FullSubscription:
        buf = BytesIO(data) if isinstance(data, bytes | bytearray) else data
        version = Int16.decode(buf)
        topics = Array(String("utf-8")).decode(buf) or []
        user_data = Bytes.decode(buf)
        item = cls(version, topics, user_data)
        item.__dict__.update(owned_partitions=[], generation_id=-1, rack_id=None)
        if version >= 1:
            item.owned_partitions = [(t, list(ps or ())) for t, ps in (_OWNED.decode(buf) or [])]
        if version >= 2:
            item.generation_id = Int32.decode(buf)
        if version >= 3:
            item.rack_id = String("utf-8").decode(buf)
        return item


def encode_subscription(topics: list[str], user_data: bytes | None,
                        owned: list[tuple[str, list[int]]], generation: int, rack: str | None) -> bytes:
    """ConsumerProtocolSubscription v3 bytes (what ``metadata()`` returns to aiokafka)."""
    encoded: bytes = SUBSCRIPTION_V3.encode([3, topics, user_data, owned, generation, rack])
    return encoded


def install_subscription_decoder() -> None:
    """Make aiokafka leaders decode subscriptions v0-v3 (see the module docstring). Idempotent."""
    check_version()
    current = ConsumerProtocol.METADATA
    if current is FullSubscription:
        return
    source = inspect.getsource(GroupCoordinator._perform_assignment)
    if current is not ConsumerProtocolMemberMetadata or "ConsumerProtocol.METADATA.decode(" not in source:
        raise AiokafkaCompatError(
            "aiokafka's GroupCoordinator._perform_assignment no longer decodes member metadata with "
            "ConsumerProtocol.METADATA; kpart's aiokafka adapter cannot read v1-v3 subscriptions"
        )
    ConsumerProtocol.METADATA = FullSubscription


def coordinator_of(consumer: Any) -> Any:
    """The consumer's group coordinator (exists once ``await consumer.start()`` ran)."""
    check_version()
    if not hasattr(consumer, "_coordinator"):
        raise AiokafkaCompatError(
            f"{type(consumer).__name__} has no _coordinator: not an aiokafka 0.14 AIOKafkaConsumer"
        )
    return consumer._coordinator


def generation_of(consumer: Any) -> int:
    """The group generation the consumer's current assignment belongs to (-1: none)."""
    coordinator = coordinator_of(consumer)
    if coordinator is None:
        return -1  # not started, or no group
    generation = getattr(coordinator, "generation", None)
    if not isinstance(generation, int):
        raise AiokafkaCompatError("aiokafka's GroupCoordinator has no int generation attribute")
    return generation


def assignors_of(consumer: Any) -> tuple[Any, ...]:
    """The consumer's ``partition_assignment_strategy``, as given."""
    check_version()
    try:
        return tuple(consumer._partition_assignment_strategy)
    except AttributeError:
        raise AiokafkaCompatError(
            "AIOKafkaConsumer has no _partition_assignment_strategy: not aiokafka 0.14"
        ) from None


def client_rack_of(consumer: Any) -> str | None:
    """The consumer's ``client_rack`` setting."""
    return getattr(consumer, "_client_rack", None) or None


def replica_racks(cluster: Any, topics: list[str]) -> dict[tuple[str, int], frozenset[str]]:
    """(topic, partition) -> racks of its replicas, for brokers that report a rack."""
    rack_of = {b.nodeId: b.rack for b in cluster.brokers() if getattr(b, "rack", None)}
    if not rack_of:
        return {}
    partitions = getattr(cluster, "_partitions", None)
    if not isinstance(partitions, dict):
        raise AiokafkaCompatError("aiokafka's ClusterMetadata has no _partitions mapping")
    out: dict[tuple[str, int], frozenset[str]] = {}
    for topic in topics:
        for p, meta in partitions.get(topic, {}).items():
            racks = frozenset(rack_of[n] for n in (meta.replicas or ()) if n in rack_of)
            if racks:
                out[(topic, p)] = racks
    return out
