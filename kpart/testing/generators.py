"""Hypothesis strategies (generators) of rebalance inputs, composed from small pieces.

Topics are ``t0``..``t3`` (0 to 12 partitions each) plus ``gone``, which members may subscribe
to but the metadata never lists. Member ids sort in random orders; some members are static.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from hypothesis import strategies as st

from kpart.testing.rebalance import Case, Subject, joined
from strategies.core import ClusterMetadata, MemberSubscription, TopicPartition

TOPICS = ("t0", "t1", "t2", "t3")
MISSING = "gone"
MAX_PARTITIONS = 12


def clusters(min_partitions: int = 0) -> st.SearchStrategy[ClusterMetadata]:
    """Partition counts for ``t0``..``t3``."""
    counts = st.integers(min_partitions, MAX_PARTITIONS)
    return st.fixed_dictionaries({t: counts for t in TOPICS}).map(ClusterMetadata)


def topic_sets(missing: bool = True) -> st.SearchStrategy[frozenset[str]]:
    names = TOPICS + ((MISSING,) if missing else ())
    return st.frozensets(st.sampled_from(names), min_size=1)


@st.composite
def members(draw: st.DrawFn, max_members: int, same_topics: bool = False,
            missing: bool = True, min_members: int = 1) -> dict[str, MemberSubscription]:
    """1..``max_members`` members, some static, with identical or independent subscriptions."""
    n = draw(st.integers(min_members, max_members))
    shared = draw(topic_sets(missing))
    out: dict[str, MemberSubscription] = {}
    for i in range(n):
        topics = shared if same_topics else draw(topic_sets(missing))
        mid = f"m{draw(st.integers(0, 99)):02d}-{i}"
        static = draw(st.integers(0, 3)) == 0
        out[mid] = MemberSubscription(mid, topics, group_instance_id=f"i{i}" if static else None)
    return out


@st.composite
def ownership(draw: st.DrawFn, group: dict[str, MemberSubscription],
              cluster: ClusterMetadata) -> dict[str, list[TopicPartition]]:
    """A previous assignment with no partition owned twice: each partition of each topic is
    owned by nobody, by a subscriber or, rarely, by a member that has since unsubscribed."""
    ids = sorted(group)
    out: dict[str, list[TopicPartition]] = {m: [] for m in ids}
    for topic in TOPICS:
        subs = [m for m in ids if topic in group[m].topics] or ids
        for tp in cluster.partitions_of(topic):
            pick = draw(st.integers(0, len(subs) + 1))
            if pick < len(subs):
                out[subs[pick]].append(tp)
            elif pick == len(subs) and draw(st.booleans()):
                out[draw(st.sampled_from(ids))].append(tp)
    return out


@st.composite
def cases(draw: st.DrawFn, subject: Subject, same_topics: bool = False, history: bool = True,
          missing: bool = True) -> Case:
    """A group rejoining after some previous assignment, as its members send it."""
    cluster = draw(clusters())
    group = draw(members(subject.max_members, same_topics, missing))
    previous = draw(ownership(group, cluster)) if history else {}
    return joined(subject, cluster, group, previous, draw(st.integers(0, 5)))


def java_sticky_layout(claims: Sequence[tuple[str, Sequence[int]]], generation: int | None) -> bytes:
    """Java ``StickyAssignorUserData`` bytes (v1 with a generation, v0 without), written here
    from the layout so the kit does not depend on the codec it may be testing."""
    out = [struct.pack(">i", len(claims))]
    for topic, parts in claims:
        name = topic.encode()
        out.append(struct.pack(">h", len(name)) + name + struct.pack(f">i{len(parts)}i", len(parts), *parts))
    if generation is not None:
        out.append(struct.pack(">i", generation))
    return b"".join(out)


claimed_partitions = st.lists(
    st.tuples(st.sampled_from(TOPICS + (MISSING,)), st.lists(st.integers(-2, 40), max_size=6)),
    max_size=4)


def user_data_blobs() -> st.SearchStrategy[bytes | None]:
    """Corrupt, truncated, foreign (Java, librdkafka) and oversized user data."""
    java = st.builds(java_sticky_layout, claimed_partitions,
                     st.one_of(st.none(), st.integers(-1, 2**31 - 1)))
    return st.one_of(
        st.none(),
        st.binary(max_size=64),  # corrupt
        java,  # Java StickyAssignor v0/v1; librdkafka's sticky and cooperative-sticky send this
        st.integers(-(2**31), 2**31 - 1).map(lambda g: struct.pack(">i", g)),  # Java cooperative
        java.flatmap(lambda b: st.integers(0, max(0, len(b) - 1)).map(lambda n: b[:n])),  # truncated
        st.just(struct.pack(">i", 2**31 - 1) + b"\x00\x05t0"),  # claims 2^31-1 topics
        st.integers(1, 4).map(lambda k: bytes(k * 256 * 1024)),  # oversized (up to 1 MiB)
    )


def owned_claims() -> st.SearchStrategy[tuple[TopicPartition, ...]]:
    """Owned partitions as any member may send them: unsubscribed, missing, out of range."""
    return st.lists(st.builds(TopicPartition, st.sampled_from(TOPICS + (MISSING,)),
                              st.integers(-1, MAX_PARTITIONS + 2)), max_size=8).map(tuple)


@st.composite
def hostile_cases(draw: st.DrawFn, subject: Subject) -> Case:
    """A case whose members send arbitrary user data, owned partitions and generations."""
    case = draw(cases(subject))
    group = {}
    for m, sub in case.group.items():
        if draw(st.booleans()):
            sub = MemberSubscription(m, sub.topics, draw(owned_claims()),
                                     draw(st.integers(-1, 3)), sub.rack, sub.group_instance_id,
                                     draw(user_data_blobs()))
        group[m] = sub
    return Case(case.cluster, group, case.previous)


@st.composite
def duplicate_id_cases(draw: st.DrawFn, subject: Subject) -> Case:
    """Some subscriptions carry another member's id, or share a ``group.instance.id``."""
    case = draw(cases(subject))
    ids = sorted(case.group)
    group = dict(case.group)
    for m in ids:
        choice = draw(st.integers(0, 2))
        other = draw(st.sampled_from(ids))
        sub = group[m]
        if choice == 1:
            group[m] = MemberSubscription(other, sub.topics, sub.owned_partitions, sub.generation,
                                          sub.rack, sub.group_instance_id, sub.user_data)
        elif choice == 2:
            group[m] = MemberSubscription(m, sub.topics, sub.owned_partitions, sub.generation,
                                          sub.rack, f"shared-{draw(st.integers(0, 1))}", sub.user_data)
    return Case(case.cluster, group, case.previous)


@st.composite
def zero_partition_cases(draw: st.DrawFn, subject: Subject) -> Case:
    """At least one subscribed topic has zero partitions (possibly all of them)."""
    case = draw(cases(subject))
    topics = sorted(set().union(*(s.topics for s in case.group.values())) - {MISSING}) or ["t0"]
    empty = draw(st.sets(st.sampled_from(topics), min_size=1))
    counts = {t: 0 if t in empty else n for t, n in case.cluster.partition_counts.items()}
    cluster = ClusterMetadata(counts)
    return joined(subject, cluster, {m: s for m, s in case.group.items()},
                  case.previous, 1)


@st.composite
def static_restart_cases(draw: st.DrawFn, subject: Subject) -> Case:
    """Static members restart with new member ids, keeping what they owned."""
    cluster = draw(clusters())
    group = draw(members(subject.max_members))
    for m in sorted(group):
        if draw(st.booleans()):
            sub = group.pop(m)
            new = f"{m}-restarted"
            group[new] = MemberSubscription(new, sub.topics, group_instance_id=sub.group_instance_id
                                            or f"i-{m}")
    previous = draw(ownership(group, cluster))
    return joined(subject, cluster, group, previous, draw(st.integers(0, 5)))


EVENTS = ("join", "leave", "static_restart", "subscribe", "grow", "delete_topic", "create_topic")

event = st.tuples(st.sampled_from(EVENTS), st.integers(0, 10**6), topic_sets(False), st.integers(1, 4))
"""One churn event: its kind, which member or topic it picks, new topics, a count."""
