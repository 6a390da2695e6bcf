"""``murmur2``: the Java client's default partitioner (Kafka 3.3+ ``BuiltInPartitioner``).

Compatibility: same partition as Java's ``toPositive(Utils.murmur2(key)) % numPartitions``
for every non-null key (also kafkajs ``JavaCompatiblePartitioner``, librdkafka ``murmur2`` /
``murmur2_random`` and franz-go's ``StickyKeyPartitioner`` for keyed records), computed over all
partitions whether available or not. Empty keys are hashed. Keyless records go uniform sticky
(KIP-794) like Java; ``adaptive=True`` adds Java's backlog weighting.
"""

from __future__ import annotations

from partitioning.hashing import murmur2_partition
from partitioning.keyed import KeyedStickyPartitioner
from partitioning.sticky import DEFAULT_BATCH_SIZE


class Murmur2Partitioner(KeyedStickyPartitioner):
    """Java-exact keyed mapping; uniform sticky (optionally adaptive) for keyless records."""

    def __init__(
        self, batch_size: int = DEFAULT_BATCH_SIZE, adaptive: bool = False, seed: int | None = None
    ) -> None:
        super().__init__(murmur2_partition, batch_size, adaptive, seed)
