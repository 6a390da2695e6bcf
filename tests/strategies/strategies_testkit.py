"""Small builders shared by the strategies tests."""

from __future__ import annotations

from collections.abc import Iterable

from strategies.core import ClusterMetadata, MemberSubscription, TopicPartition


def tp(name: str) -> TopicPartition:
    """``"t0p2"`` -> TopicPartition("t0", 2)."""
    topic, _, part = name.rpartition("p")
    return TopicPartition(topic, int(part))


def tps(*names: str) -> tuple[TopicPartition, ...]:
    return tuple(sorted(tp(n) for n in names))


def member(mid: str, topics: Iterable[str], **kw: object) -> MemberSubscription:
    return MemberSubscription(mid, frozenset(topics), **kw)  # type: ignore[arg-type]


def group(*members: MemberSubscription) -> dict[str, MemberSubscription]:
    return {m.member_id: m for m in members}


def cluster(**counts: int) -> ClusterMetadata:
    return ClusterMetadata(counts)
