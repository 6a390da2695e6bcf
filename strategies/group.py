"""Shared preparation of a group's input: Java member order and validated subscriptions.

Every assignor goes through :func:`prepare` so bad input is handled the same way everywhere:
unknown topics and topics with zero partitions are dropped with one warning each; a mapping key
that differs from the member's own ``member_id`` is logged and the key wins.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from strategies.core import ClusterMetadata, GroupSubscription, MemberSubscription

log = logging.getLogger("strategies")


def java_str_key(s: str) -> bytes:
    """Sort key giving Java's ``String.compareTo`` order (UTF-16 code units)."""
    return s.encode("utf-16-be", "surrogatepass")


def java_member_key(member_id: str, sub: MemberSubscription) -> tuple[int, bytes, bytes]:
    """Java's ``MemberInfo`` order: static members by instance id first, then dynamic by id."""
    if sub.group_instance_id is not None:
        return (0, java_str_key(sub.group_instance_id), java_str_key(member_id))
    return (1, java_str_key(member_id), b"")


@dataclass(frozen=True)
class PreparedGroup:
    """A validated group: members in Java order and each member's assignable topics."""

    members: tuple[str, ...]
    topics: Mapping[str, frozenset[str]]
    all_topics: tuple[str, ...]

    def subscribers(self) -> dict[str, list[str]]:
        """Each topic of ``all_topics`` -> the members subscribed to it, in member order."""
        out: dict[str, list[str]] = {t: [] for t in self.all_topics}
        add = {t: members.append for t, members in out.items()}
        for m in self.members:
            for t in self.topics[m]:
                add[t](m)
        return out


def prepare(group: GroupSubscription, cluster: ClusterMetadata) -> PreparedGroup:
    """Validate ``group`` against ``cluster``; never raises on member-supplied data."""
    if not isinstance(group, Mapping):
        raise TypeError(f"group must map member id -> MemberSubscription, got {type(group)!r}")
    counts = cluster.partition_counts
    topics: dict[str, frozenset[str]] = {}
    dropped: set[str] = set()
    known: dict[frozenset[str], frozenset[str]] = {}
    for member_id, sub in group.items():
        if not isinstance(sub, MemberSubscription):
            raise TypeError(f"subscription of member {member_id!r} is not a MemberSubscription")
        if sub.member_id != member_id:
            log.warning("member key %r differs from its member_id %r; using the key",
                        member_id, sub.member_id)
        good = known.get(sub.topics)
        if good is None:
            if all(map(counts.get, sub.topics)):  # all known, none empty (counts are >= 0)
                good = known[sub.topics] = sub.topics
            else:
                good = known[sub.topics] = frozenset(t for t in sub.topics if counts.get(t, 0) > 0)
                dropped.update(sub.topics - good)
        topics[member_id] = good
    for t in sorted(dropped):
        if t in counts:
            log.warning("topic %r has zero partitions; nothing to assign", t)
        else:
            log.warning("topic %r is subscribed but unknown to the cluster metadata; skipped", t)
    order = tuple(sorted(group, key=lambda m: java_member_key(m, group[m])))
    all_topics = tuple(sorted(set().union(*known.values()), key=java_str_key))
    return PreparedGroup(order, topics, all_topics)


def has_racks(group: GroupSubscription, cluster: ClusterMetadata) -> bool:
    """Rack-aware assignment applies: some member sends a rack and replica racks are known."""
    return bool(cluster.replica_racks) and any(s.rack for s in group.values())
