"""Ports of the broker's KIP-848 assignors (``uniform``, ``range``, Kafka group coordinator).

They implement the :class:`strategies.Assignor` interface; ``owned_partitions`` carries each
member's *current target assignment*, which the broker keeps between epochs and feeds back.

* ``kip848-uniform`` -- ``UniformAssignor``: with identical subscriptions
  ``UniformHomogeneousAssignmentBuilder`` (quota ``P // M``, ``P % M`` members get one more,
  each keeps its target up to its quota, free partitions fill members in member-map order);
  otherwise ``UniformHeterogeneousAssignmentBuilder`` (keeps the target, deals free partitions
  per topic to the least-loaded subscriber, then at most 16 per-topic balancing passes).
  Racks are ignored, as by the broker. ``broker_version="4.0"`` selects 4.0's homogeneous rule
  (the first ``P % M`` members in map order get the extra partition); the default, 4.1, lets any
  member keep it.
* ``kip848-range`` -- ``RangeAssignor``: not sticky; every epoch each topic is dealt in
  contiguous ranges over the members sorted static first (by instance id), then by member id.

Every tie-break is reproduced, including the iteration order of the broker's ``HashMap`` of
members (filled in ``group``'s order) and of its hash sets (:mod:`kpart.simulation.java_order`).
Two inputs are fixed by convention, as the Java reference harness fixes them: topic ids are
``Uuid(0, rank + 2)`` (rank among the cluster's topic names, sorted), and each member's target
is read in ``owned_partitions`` order (the broker reads its records' order).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kpart.simulation.java_order import hash_set_from, int_hash, iteration_order, string_hash, uuid_hash
from strategies import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    RebalanceProtocol,
    TopicPartition,
)
from strategies.range import RangeQuota

BROKER_VERSIONS = ("4.0", "4.1")
MAX_BALANCE_PASSES = 16  # UniformHeterogeneousAssignmentBuilder.MAX_ITERATION_COUNT


@dataclass(frozen=True)
class _Spec:
    """What ``GroupSpec`` tells the assignor about one member."""

    member_id: str
    instance_id: str | None
    topics: tuple[str, ...]  # subscribed existing topics, in the member's set order
    target: tuple[tuple[str, tuple[int, ...]], ...]  # previous target, in map/set order


class _Group:
    """The broker's ``GroupSpec`` for ``group``: members in member-map order, topic ids."""

    def __init__(self, group: GroupSubscription, cluster: ClusterMetadata) -> None:
        self.counts: Mapping[str, int] = cluster.partition_counts
        rank = {topic: i for i, topic in enumerate(sorted(self.counts))}
        self.rank = rank

        def topic_hash(topic: str) -> int:
            return uuid_hash(0, rank[topic] + 2)

        order = iteration_order(group, string_hash)
        specs = []
        for member_id in order:
            sub = group[member_id]
            existing = [t for t in sorted(sub.topics) if t in self.counts]
            by_topic: dict[str, list[int]] = {}
            for tp in sub.owned_partitions:
                by_topic.setdefault(tp.topic, []).append(tp.partition)
            target = tuple(
                (topic, tuple(hash_set_from(by_topic[topic], int_hash)))
                for topic in iteration_order(by_topic, topic_hash)
            )
            specs.append(_Spec(member_id, sub.group_instance_id,
                               tuple(iteration_order(existing, topic_hash)), target))
        self.members: list[_Spec] = specs
        self.topic_hash = topic_hash
        self.homogeneous = len({sub.topics for sub in group.values()}) <= 1

    def assigned(self) -> set[TopicPartition]:
        return {TopicPartition(t, p) for spec in self.members for t, ps in spec.target for p in ps}


class UniformServerAssignor(Assignor):
    """The broker's KIP-848 ``uniform`` assignor, ported exactly (see the module docstring)."""

    name = "kip848-uniform"
    protocols = (RebalanceProtocol.COOPERATIVE,)

    def __init__(self, broker_version: str = "4.1") -> None:
        if broker_version not in BROKER_VERSIONS:
            known = ", ".join(BROKER_VERSIONS)
            raise ValueError(f"broker_version must be one of {known}, got {broker_version!r}")
        self.broker_version = broker_version

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        if not group:
            return GroupAssignment.of({})
        spec = _Group(group, cluster)
        if spec.homogeneous:
            owned = _uniform_homogeneous(spec, extra_any_member=self.broker_version != "4.0")
        else:
            owned = _uniform_heterogeneous(spec)
        return GroupAssignment.of({m: owned.get(m, ()) for m in group})


def _uniform_homogeneous(spec: _Group, extra_any_member: bool) -> dict[str, list[TopicPartition]]:
    """``UniformHomogeneousAssignmentBuilder.build``."""
    first = spec.members[0]
    topics = hash_set_from(first.topics, spec.topic_hash)
    if not topics:
        return {}
    subscribed = set(topics)
    assigned = spec.assigned()
    unassigned = [TopicPartition(t, p) for t in topics for p in range(spec.counts[t])
                  if TopicPartition(t, p) not in assigned]
    total = sum(spec.counts[t] for t in topics)
    count = len(spec.members)
    minimum, remaining = divmod(total, count)
    target: dict[str, list[TopicPartition]] = {}
    unfilled: list[tuple[str, int]] = []
    for index, member in enumerate(spec.members):
        quota = minimum
        has_extra = False
        if remaining > 0:
            quota += 1
            if extra_any_member:
                has_extra = True
            else:
                remaining -= 1
        kept: list[TopicPartition] = []
        for topic, partitions in member.target:
            if topic not in subscribed:
                continue
            if len(partitions) <= quota:
                quota -= len(partitions)
                kept.extend(TopicPartition(topic, p) for p in partitions)
                continue
            for p in partitions:
                if quota > 0:
                    quota -= 1
                    kept.append(TopicPartition(topic, p))
                else:
                    unassigned.append(TopicPartition(topic, p))
        if extra_any_member:
            if quota > 0 and has_extra and count - index > remaining:
                quota -= 1  # give the extra slot up unless the last members must take it
                has_extra = False
            if has_extra:
                remaining -= 1
        if quota > 0:
            unfilled.append((member.member_id, quota))
        target[member.member_id] = kept
    next_free = 0
    for member_id, quota in unfilled:
        take = unassigned[next_free:next_free + quota]
        next_free += len(take)
        target[member_id].extend(take)
    if next_free < len(unassigned):  # the broker raises PartitionAssignorException here
        raise RuntimeError("kip848-uniform: partitions were left unassigned")
    return target


class _Balancer:
    """``UniformHeterogeneousAssignmentBuilder.MemberAssignmentBalancer``."""

    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes
        self.sorted: list[int] = []

    def initialize(self, members: Sequence[int]) -> int:
        sizes = self.sizes
        self.sorted = sorted(members, key=lambda i: (sizes[i], i))
        self.least_end = 0
        self.least_count = sizes[self.sorted[0]] - 1
        self.next_least = 0
        self.most_start = len(self.sorted)
        self.most_end = len(self.sorted)
        self.most_count = sizes[self.sorted[-1]] + 1
        self.next_most = len(self.sorted) - 1
        return sizes[self.sorted[-1]] - sizes[self.sorted[0]]

    def next_least_loaded(self) -> int:
        if self.next_least >= self.least_end:
            self.least_count += 1
            size, ranked = self.sizes, self.sorted
            while self.least_end < len(ranked) and size[ranked[self.least_end]] == self.least_count:
                self.least_end += 1
            self.next_least = 0
        member = self.sorted[self.next_least]
        self.next_least += 1
        return member

    def next_most_loaded(self) -> int:
        if self.next_most < self.most_start:
            if self.most_end <= self.most_start and self.most_start > 0:
                self.most_count = self.sizes[self.sorted[self.most_start - 1]]
            else:
                self.most_count -= 1
            while self.most_start > 0 and self.sizes[self.sorted[self.most_start - 1]] == self.most_count:
                self.most_start -= 1
            self.next_most = self.most_end - 1
        if self.next_most < 0:
            return -1
        member = self.sorted[self.next_most]
        self.next_most -= 1
        return member

    def exclude_most_loaded(self) -> None:
        i = self.next_most + 1
        self.sorted[i], self.sorted[self.most_end - 1] = self.sorted[self.most_end - 1], self.sorted[i]
        self.most_end -= 1

    def balanced(self) -> bool:
        return self.most_count - self.least_count <= 1


def _uniform_heterogeneous(spec: _Group) -> dict[str, list[TopicPartition]]:
    """``UniformHeterogeneousAssignmentBuilder.build``."""
    members = spec.members
    counts = spec.counts
    subscribers: dict[str, list[int]] = {}
    for index, member in enumerate(members):
        for topic in member.topics:
            subscribers.setdefault(topic, []).append(index)
    if not subscribers:
        return {}

    def topic_key(topic: str) -> tuple[float, int, int]:
        n = len(subscribers[topic])
        return (-(counts[topic] / n), n, spec.rank[topic])

    owners = {topic: [-1] * counts[topic] for topic in subscribers}
    sizes = [0] * len(members)
    target: list[set[TopicPartition]] = []
    for index, member in enumerate(members):
        mine = set(member.topics)
        kept: set[TopicPartition] = set()
        for topic, partitions in member.target:
            if topic in mine:
                sizes[index] += len(partitions)
                for p in partitions:
                    owners[topic][p] = index
                    kept.add(TopicPartition(topic, p))
        target.append(kept)

    def move(topic: str, partition: int, to: int) -> None:
        old = owners[topic][partition]
        if old != -1:
            target[old].discard(TopicPartition(topic, partition))
            sizes[old] -= 1
        target[to].add(TopicPartition(topic, partition))
        owners[topic][partition] = to
        sizes[to] += 1

    balancer = _Balancer(sizes)
    free = {t: [p for p in range(counts[t]) if owners[t][p] == -1] for t in subscribers}
    for topic in sorted((t for t in free if free[t]), key=topic_key):
        balancer.initialize(subscribers[topic])
        for p in free[topic]:
            move(topic, p, balancer.next_least_loaded())

    shared = sorted((t for t in subscribers if len(subscribers[t]) >= 2), key=topic_key)
    last_rebalanced = -1
    for _ in range(MAX_BALANCE_PASSES):
        for index, topic in enumerate(shared):
            if index == last_rebalanced:
                return {members[i].member_id: sorted(tps) for i, tps in enumerate(target)}
            moved = _balance_topic(topic, counts[topic], owners[topic], subscribers[topic], balancer, move)
            if moved > 0 or last_rebalanced == -1:
                last_rebalanced = index
    return {members[i].member_id: sorted(tps) for i, tps in enumerate(target)}


def _balance_topic(topic: str, count: int, owners: list[int], subscribers: list[int],
                   balancer: _Balancer, move: Callable[[str, int, int], None]) -> int:
    """``UniformHeterogeneousAssignmentBuilder.balanceTopic``: move partitions of one topic from
    its most to its least loaded subscribers; returns how many moved."""
    if balancer.initialize(subscribers) <= 1:
        return 0
    partitions = sorted(range(count), key=lambda p: (owners[p], p))
    start: dict[int, int] = {}
    end: dict[int, int] = {}
    for i, p in enumerate(partitions):
        start.setdefault(owners[p], i)
        end[owners[p]] = i + 1
    moved = 0
    while not balancer.balanced():
        while True:
            most = balancer.next_most_loaded()
            if most == -1:
                break
            if most not in end or end[most] - start[most] <= 0:
                balancer.exclude_most_loaded()
                continue
            break
        if most == -1:
            break
        partition = partitions[end[most] - 1]
        end[most] -= 1
        least = balancer.next_least_loaded()
        if balancer.balanced():
            break
        move(topic, partition, least)
        moved += 1
    return moved


class RangeServerAssignor(Assignor):
    """The broker's KIP-848 ``range`` assignor, ported exactly: contiguous ranges every epoch."""

    name = "kip848-range"
    protocols = (RebalanceProtocol.COOPERATIVE,)

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        counts = cluster.partition_counts
        static = sorted((s.group_instance_id, m) for m, s in group.items() if s.group_instance_id is not None)
        dynamic = sorted(m for m, s in group.items() if s.group_instance_id is None)
        order = [m for _, m in static] + dynamic
        topics = {t for sub in group.values() for t in sub.topics if t in counts}
        next_start = dict.fromkeys(topics, 0)
        quotas = {topic: RangeQuota(counts[topic], sum(1 for sub in group.values() if topic in sub.topics))
                  for topic in topics}
        owned: dict[str, list[TopicPartition]] = {m: [] for m in group}
        for member_id in order:
            for topic in sorted(t for t in group[member_id].topics if t in counts):
                quota = quotas[topic].room(0)
                quotas[topic].took(0, quota)
                begin = next_start[topic]
                stop = min(begin + quota, counts[topic])
                next_start[topic] = stop
                owned[member_id].extend(TopicPartition(topic, p) for p in range(begin, stop))
        return GroupAssignment.of(owned)
