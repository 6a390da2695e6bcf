"""Write your own assignment strategy, register it by name, and plug it into KafkaConsumer.

An assignor is a pure function from the group's subscriptions and the partition metadata to
an assignment -- no Kafka client import needed. This one, ``pinned``, lets static members pin
topics to themselves: a member whose ``group.instance.id`` is ``reports-1`` gets every
partition of the topics listed for it in ``pins``; everything else is shared out by the
built-in ``cooperative-sticky`` logic, so the group still rebalances cooperatively.

To ship it in a package instead of calling ``register``, declare an entry point::

    [project.entry-points."kpart.assignors"]
    pinned = "my_package.assignors:PinnedAssignor"

Verify it with the conformance kit (``pip install 'kpart[testing]'``)::

    kpart check examples/custom_assignor.py:PinnedAssignor

Run offline (prints the assignment of a made-up group) or against a broker::

    python examples/custom_assignor.py
    python examples/custom_assignor.py --bootstrap 127.0.0.1:9092 --topic orders
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

import strategies
from strategies import (
    ClusterMetadata,
    CooperativeStickyAssignor,
    GroupAssignment,
    GroupSubscription,
    MemberSubscription,
    withhold_transfers,
)


class PinnedAssignor(CooperativeStickyAssignor):
    """Topics pinned to a static member go to it whole; the rest is cooperative-sticky."""

    name = "pinned"
    claims = {}  # pins break count balance: only the universal guarantees (``kpart check``)

    def __init__(self, pins: Mapping[str, set[str]] | None = None) -> None:
        self.pins = dict(pins or {"reports-1": {"audit"}})

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        owner_of_topic = {}
        for member_id, sub in sorted(group.items()):
            for topic in self.pins.get(sub.group_instance_id or "", ()):
                if topic in sub.topics:
                    owner_of_topic.setdefault(topic, member_id)
        # Everyone else shares the unpinned topics through the built-in cooperative-sticky logic
        # (which already withholds what moves between them).
        rest = {m: MemberSubscription(m, s.topics - owner_of_topic.keys(), s.owned_partitions,
                                      s.generation, s.rack, s.group_instance_id, s.user_data)
                for m, s in group.items()}
        shared = super().assign(rest, cluster)
        owned = {m: list(tps) for m, tps in shared.owned.items()}
        for topic, member_id in owner_of_topic.items():
            owned[member_id].extend(cluster.partitions_of(topic))
        # KIP-429: never hand over a partition another member still holds.
        return withhold_transfers(GroupAssignment.of(owned), group)


strategies.register("pinned", PinnedAssignor)


def offline() -> None:
    cluster = ClusterMetadata({"orders": 6, "audit": 3})
    group = {
        "a": MemberSubscription("a", {"orders", "audit"}, group_instance_id="reports-1"),
        "b": MemberSubscription("b", {"orders", "audit"}),
        "c": MemberSubscription("c", {"orders"}),
    }
    assignment = strategies.get_assignor("pinned").assign(group, cluster)
    for member_id, partitions in sorted(assignment.owned.items()):
        print(member_id, ", ".join(map(str, partitions)))


def live(bootstrap: str, topic: str) -> None:
    from kafka import KafkaConsumer

    from strategies.kafka_python import KafkaPythonAssignor, attach

    consumer = attach(KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id="custom-assignor-example",
        group_instance_id="reports-1",
        partition_assignment_strategy=[KafkaPythonAssignor("pinned")],
    ))
    try:
        for _ in range(20):
            consumer.poll(timeout_ms=500)
            if consumer.assignment():
                break
        print("assigned:", ", ".join(f"{tp.topic}-{tp.partition}" for tp in sorted(consumer.assignment())))
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", help="host:port of a broker; offline when omitted")
    parser.add_argument("--topic", default="orders")
    args = parser.parse_args()
    if args.bootstrap:
        live(args.bootstrap, args.topic)
    else:
        offline()


if __name__ == "__main__":
    main()
