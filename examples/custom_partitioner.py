"""Write your own partitioner, register it by name, and plug it into KafkaProducer.

A partitioner is any object with ``partition(key, value, view) -> int`` -- no Kafka client
import needed. This one routes keys shaped ``b"tenant:rest"`` by their tenant only, so every
record of a tenant shares a partition (and its order), whatever follows the colon.

To ship it in a package instead of calling ``register``, declare an entry point::

    [project.entry-points."kpart.partitioners"]
    tenant = "my_package.partitioners:TenantPartitioner"

Run offline (prints where keys go) or against a broker::

    python examples/custom_partitioner.py
    python examples/custom_partitioner.py --bootstrap 127.0.0.1:9092 --topic tenants
"""

from __future__ import annotations

import argparse

import partitioning
from partitioning import PartitioningError, PartitionView
from partitioning.hashing import murmur2_partition


class TenantPartitioner:
    """Keys ``tenant:rest`` go where Java's murmur2 sends the key ``tenant``; keyless records
    fall back to the ``uniform_sticky`` behaviour."""

    def __init__(self, separator: bytes = b":") -> None:
        self.separator = separator
        self.keyless = partitioning.registry.create("uniform_sticky")

    def partition(self, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
        if key is None:
            return self.keyless.partition(key, value, view)
        tenant, sep, _ = key.partition(self.separator)
        if not sep:
            raise PartitioningError(f"key {key!r} has no {self.separator!r}-separated tenant")
        return view.all[murmur2_partition(tenant, view.count)]

    def on_new_batch(self, view: PartitionView, prev_partition: int) -> None:
        """Optional capability: forwarded so keyless records switch partitions per batch."""
        self.keyless.on_new_batch(view, prev_partition)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="broker host:port; without it, only predict")
    parser.add_argument("--topic", default="tenants")
    parser.add_argument("--partitions", type=int, default=6, help="if the topic is created")
    args = parser.parse_args()

    partitioning.register("tenant", TenantPartitioner)
    print("registered:", ", ".join(partitioning.names()))

    keys = [f"{tenant}:{order}".encode() for tenant in ("acme", "globex", "initech") for order in range(3)]
    if not args.bootstrap:
        core = partitioning.registry.create("tenant")
        view = PartitionView(args.topic, range(args.partitions))
        for key in keys:
            print(f"{key.decode():12s} -> partition {core.partition(key, None, view)}")
        return

    from kafka import KafkaAdminClient, KafkaProducer
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    from kpart.broker import BrokerError, reachable_bootstrap

    try:
        reachable_bootstrap(args.bootstrap)
    except BrokerError as exc:
        parser.exit(1, f"error: {exc}\n")

    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap)
    try:
        admin.create_topics([NewTopic(args.topic, args.partitions, 1)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=args.bootstrap,
                             partitioner=partitioning.kafka_python.create("tenant"))
    try:
        futures = [(key, producer.send(args.topic, key=key, value=b"order")) for key in keys]
        producer.flush()
        for key, future in futures:
            print(f"{key.decode():12s} -> partition {future.get(timeout=30).partition}")
    finally:
        producer.close()


if __name__ == "__main__":
    main()
