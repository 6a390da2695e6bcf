"""What the kit feeds an assignor: a :class:`Case`, and a driver of the rebalance protocol.

Under EAGER a rebalance is one ``assign`` call: members have revoked everything, so they send
no owned partitions, only their user data and generation. Under COOPERATIVE (KIP-429) members
send what they own; every member keeps what it is assigned and revokes the rest, and another
round follows while anyone revoked something.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from kpart.testing.assignment_checks import Violation
from strategies.core import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    MemberSubscription,
    RebalanceProtocol,
    TopicPartition,
)


@dataclass(frozen=True)
class Case:
    """One rebalance input: the metadata, the group as the leader sees it, and what each
    member owned before (the baseline stickiness is measured against)."""

    cluster: ClusterMetadata
    group: Mapping[str, MemberSubscription]
    previous: Mapping[str, tuple[TopicPartition, ...]] = field(default_factory=dict)


@dataclass
class Subject:
    """The assignor under test and how to test it.

    ``factory`` builds a fresh instance (``None`` for an instance given as is); ``claims`` are
    the guarantees it states (see :mod:`kpart.testing.claims`); ``target`` is how to name it in
    a regression case (``MODULE:OBJECT``), when known.
    """

    assignor: Assignor
    protocol: RebalanceProtocol
    claims: Mapping[str, object]
    factory: Callable[[], Assignor] | None = None
    target: str | None = None
    max_members: int = 12

    @property
    def cooperative(self) -> bool:
        return self.protocol is RebalanceProtocol.COOPERATIVE

    @property
    def rounds(self) -> int:
        """Rounds a rebalance with unchanged membership may take: the claim, else 2 (KIP-429)."""
        if not self.cooperative:
            return 1
        return int(self.claims.get("rounds", 2))  # type: ignore[call-overload]


@dataclass(frozen=True)
class Round:
    """One round of a rebalance: what the leader saw and what the assignor returned."""

    group: Mapping[str, MemberSubscription]
    assignment: GroupAssignment


def call_assign(assignor: Assignor, group: Mapping[str, MemberSubscription],
                cluster: ClusterMetadata) -> GroupAssignment:
    """``assignor.assign``; an exception becomes a :class:`Violation` naming it."""
    try:
        return assignor.assign(group, cluster)
    except Exception as exc:  # the assignor's bug, reported as a verdict
        raise Violation(f"assign raised {type(exc).__name__}: {exc}") from exc


def user_data(assignor: Assignor, owned: Iterable[TopicPartition], generation: int) -> bytes | None:
    """``assignor.encode_user_data``; an exception becomes a :class:`Violation` naming it."""
    try:
        return assignor.encode_user_data(tuple(sorted(owned)), generation)
    except Exception as exc:
        raise Violation(f"encode_user_data raised {type(exc).__name__}: {exc}") from exc


def member_state(subject: Subject, sub: MemberSubscription, owned: Iterable[TopicPartition],
                 generation: int) -> MemberSubscription:
    """``sub`` as its member sends it when it holds ``owned`` at ``generation``."""
    owned = tuple(sorted(owned))
    return replace(sub, owned_partitions=owned if subject.cooperative else (),
                   generation=generation, user_data=user_data(subject.assignor, owned, generation))


def joined(subject: Subject, cluster: ClusterMetadata, members: Mapping[str, MemberSubscription],
           previous: Mapping[str, Iterable[TopicPartition]], generation: int) -> Case:
    """The case of ``members`` rejoining after owning ``previous`` at ``generation``."""
    prev = {m: tuple(sorted(previous.get(m, ()))) for m in members}
    group = {m: member_state(subject, sub, prev[m], generation) for m, sub in members.items()}
    return Case(cluster, group, {m: p for m, p in prev.items() if p})


def rebalance(subject: Subject, case: Case, max_rounds: int) -> list[Round]:
    """Run one rebalance of ``case`` (at most ``max_rounds`` rounds); the rounds it took.

    The last round is settled unless ``max_rounds`` were used and someone still revoked.
    """
    group = dict(case.group)
    generation = max((s.generation for s in group.values()), default=-1) + 1
    rounds: list[Round] = []
    for _ in range(max_rounds if subject.cooperative else 1):
        a = call_assign(subject.assignor, group, case.cluster)
        rounds.append(Round(MappingProxyType(dict(group)), a))
        if not subject.cooperative or not isinstance(a, GroupAssignment):
            break
        revoked = any(set(s.owned_partitions) - set(a.owned.get(m, ())) for m, s in group.items())
        if not revoked:
            break
        group = {m: member_state(subject, s, a.owned.get(m, ()), generation)
                 for m, s in group.items()}
        generation += 1
    return rounds


def settled(subject: Subject, rounds: list[Round]) -> bool:
    """True if nobody revoked anything in the last round."""
    last = rounds[-1]
    return not subject.cooperative or not any(
        set(s.owned_partitions) - set(last.assignment.owned.get(m, ()))
        for m, s in last.group.items())
