"""Deliberately broken assignors and partitioners: the kit must fail each, naming the property."""

from __future__ import annotations

from strategies import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    RebalanceProtocol,
    RoundRobinAssignor,
    StickyAssignor,
    TopicPartition,
)


class MemberOrderAssignor(Assignor):
    """Round-robin over members in the order the leader happened to receive them."""

    name = "member-order"

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        members = list(group)  # BUG: arrival order, not a sorted order
        owned: dict[str, list[TopicPartition]] = {m: [] for m in members}
        i = 0
        for topic in sorted(set().union(*(s.topics for s in group.values()))):
            subs = [m for m in members if topic in group[m].topics]
            for tp in cluster.partitions_of(topic):
                owned[subs[i % len(subs)]].append(tp)
                i += 1
        return GroupAssignment.of(owned)


class EagerInDisguiseAssignor(StickyAssignor):
    """Declares COOPERATIVE but hands partitions over at once (never withholds)."""

    name = "eager-in-disguise"
    protocols = (RebalanceProtocol.COOPERATIVE,)


class CrashOnUserDataAssignor(StickyAssignor):
    """Decodes user data without guarding against garbage."""

    name = "crash-on-user-data"

    def claims_of(self, member_id, sub):  # type: ignore[no-untyped-def]
        from strategies.codec import decode_sticky

        if sub.user_data:
            data = decode_sticky(sub.user_data)  # BUG: raises on corrupt data
            return data.partitions, data.generation
        return sub.owned_partitions, sub.generation


class ClaimsTooMuchAssignor(RoundRobinAssignor):
    """Round-robin claiming stickiness it does not have."""

    name = "claims-too-much"
    claims = {"sticky": True}


class HashSeedPartitioner:
    """Keyed by Python's salted ``hash()``: a key's partition changes between processes."""

    def partition(self, key, value, view):  # type: ignore[no-untyped-def]
        return view.all[hash(key) % len(view.all)]


class OffByOnePartitioner:
    """Returns a partition one past the end for keys starting with a multiple of 4."""

    def partition(self, key, value, view):  # type: ignore[no-untyped-def]
        return len(view.all) if key and key[0] % 4 == 0 else view.all[0]


class SkewedPartitioner:
    """Half the keys go to partition 0."""

    def partition(self, key, value, view):  # type: ignore[no-untyped-def]
        from partitioning.hashing import murmur2_pure, to_positive

        h = to_positive(murmur2_pure(key or b""))
        return 0 if h % 2 else view.all[h % len(view.all)]


class AvailabilityKeyedPartitioner:
    """Hashes keys over the *available* partitions: keys move when a leader is lost."""

    def partition(self, key, value, view):  # type: ignore[no-untyped-def]
        from partitioning.hashing import murmur2_pure, to_positive

        targets = view.available_or_all()
        return targets[to_positive(murmur2_pure(key or b"")) % len(targets)]
