"""The cooperative-sticky assignor (KIP-429) and a pure driver of its two-round protocol.

Guarantees: the sticky assignor's balance and stickiness for the final placement; in each
round, a partition that some *other* member still claims in ``owned_partitions`` is withheld
(assigned to nobody) so no partition is ever owned by two members. The owner sees the partition
missing from its assignment, revokes it and rejoins; the next round hands it over. With
unchanged membership the group settles in two rounds, and no revocation is wasted: the first
round aims at the target the second confirms, so a revoked partition never returns to the
member that revoked it.

It supports COOPERATIVE and EAGER. Under EAGER, members revoke everything before joining and
send no owned partitions, so nothing is withheld and one round settles — this is what makes the
documented rolling upgrade ``[cooperative-sticky, range]`` then ``[cooperative-sticky]`` work.

Wire compatibility: the user data is Java's (the generation as one int32); owned partitions and
generation are read from the subscription itself (ConsumerProtocol v1+ / v2+), falling back to
the user data for the generation (Java's 4 bytes, or librdkafka's ``StickyAssignorUserData``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from strategies.balance import sticky_assignment
from strategies.codec import UserDataError, decode_generation, decode_sticky, encode_generation
from strategies.core import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    MemberSubscription,
    RebalanceProtocol,
    TopicPartition,
)
from strategies.group import has_racks

log = logging.getLogger("strategies")

# Steps of the fixed-point search before a rebalance gives up moving kept partitions.
_FIXED_POINT_STEPS = 6


class CooperativeStickyAssignor(Assignor):
    """Java-compatible cooperative-sticky assignment (COOPERATIVE preferred, EAGER supported)."""

    name = "cooperative-sticky"
    protocols = (RebalanceProtocol.COOPERATIVE, RebalanceProtocol.EAGER)
    claims = {"balance": 1, "balance_any_subscriptions": True, "sticky": True}

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        return self._settle(group, cluster)[1]

    def settled_target(self, group: GroupSubscription, cluster: ClusterMetadata
                       ) -> GroupAssignment:
        """The target the next round confirms, so no revoked partition returns to its owner.

        Round 1 hands out ``H`` (the target minus partitions moving between members); round 2
        sees each member owning its share of ``H`` and computes its own answer. Round 1 hands
        out an ``H`` that is a *fixed point* where one is found: the answer round 2 computes
        from ``H``, minus the transfers it would withhold from the members' first ownership, is
        ``H`` again. Round 2 then revokes nothing and gives no member a partition it revoked in
        round 1. Round 2 is computed here exactly as it will be computed then.

        Round 2 always starts with some partition owned by nobody (one revoked in round 1), and
        a round in which something is unowned but nothing must move never moves a kept
        partition (it answers with the cautious target, which keeps every claim). So round 2
        never revokes: the group settles in two rounds. With racks, a round in which every
        partition is owned and nothing must move may move kept partitions to their replicas'
        racks, when a fixed point confirms it; otherwise it moves none.
        """
        return self._settle(group, cluster)[0]

    def _settle(self, group: GroupSubscription, cluster: ClusterMetadata, nested: bool = False
                ) -> tuple[GroupAssignment, GroupAssignment]:
        """The settled target and what this round hands out of it.

        ``nested``: computing the next round of a rebalance (it never computes another one).
        """
        cautious = self.target(group, cluster, move_kept=False)
        quiet = withhold_transfers(cautious, group) is cautious
        racked = has_racks(group, cluster)
        if quiet and not (racked and _all_owned(group, cluster)):
            return cautious, cautious
        if not racked:
            return self._grow(group, cluster, withhold_transfers(cautious, group))
        full = self.target(group, cluster)
        handed = withhold_transfers(full, group)
        if handed is full:
            return full, full
        starts = (handed,) if quiet else (handed, withhold_transfers(cautious, group))
        if not nested:
            for start in starts:
                found = self._fixed_point(group, cluster, start)
                if found is not None:
                    return found
        return (cautious, cautious) if quiet else self._grow(group, cluster, handed)

    def _fixed_point(self, group: GroupSubscription, cluster: ClusterMetadata,
                     handed: GroupAssignment) -> tuple[GroupAssignment, GroupAssignment] | None:
        """From ``handed``, follow ``handed <- withhold(next round's hand-out)`` to a fixed
        point: (what the next round hands out, what this one does), or ``None`` within a few
        steps."""
        generation = max((s.generation for s in group.values()), default=-1) + 1
        for _ in range(_FIXED_POINT_STEPS):
            nxt = with_ownership(group, handed.owned, generation)
            again = self._settle(nxt, cluster, nested=True)[1]
            again_handed = withhold_transfers(again, group)
            if again_handed == handed:
                return again, handed
            handed = again_handed
        return None

    def _grow(self, group: GroupSubscription, cluster: ClusterMetadata, handed: GroupAssignment
              ) -> tuple[GroupAssignment, GroupAssignment]:
        """Re-run the cautious target on what the round hands out until that stops changing.

        A cautious re-run keeps everything handed out (part of a balanced assignment) and may
        only add to it, so the loop ends; the next round, fed exactly that ownership, computes
        the same cautious target and hands it all out.
        """
        generation = max((s.generation for s in group.values()), default=-1) + 1
        while True:
            again = self.target(with_ownership(group, handed.owned, generation), cluster,
                                move_kept=False)
            again_handed = withhold_transfers(again, group)
            if again_handed == handed or not _grows(handed, again_handed):
                return again, again_handed
            handed = again_handed

    def target(self, group: GroupSubscription, cluster: ClusterMetadata,
               move_kept: bool = True) -> GroupAssignment:
        """The final placement this round aims at, before anything is withheld.

        With ``move_kept`` false, no partition that balance lets a member keep is moved to
        another member for rack locality.
        """
        return sticky_assignment(group, cluster, self.claims_of, self.name, move_kept)

    def claims_of(
        self, member_id: str, sub: MemberSubscription
    ) -> tuple[Sequence[TopicPartition], int]:
        """The partitions ``sub`` owns (``owned_partitions``) and its generation."""
        return sub.owned_partitions, self.generation_of(member_id, sub)

    def generation_of(self, member_id: str, sub: MemberSubscription) -> int:
        """The subscription's generation, else the one in the user data, else -1.

        User data of 4 bytes is Java's (the generation alone); anything longer is read as
        ``StickyAssignorUserData``, which librdkafka's cooperative-sticky sends.
        """
        if sub.generation >= 0 or not sub.user_data:
            return sub.generation
        try:
            if len(sub.user_data) == 4:
                return decode_generation(sub.user_data)
            return decode_sticky(sub.user_data).generation
        except UserDataError as exc:
            log.warning("%s: ignoring user data of member %r: %s", self.name, member_id, exc)
            return -1

    def encode_user_data(self, owned: Sequence[TopicPartition], generation: int) -> bytes:
        """Java ``CooperativeStickyAssignor`` user data: the generation as an int32."""
        return encode_generation(generation)


def withhold_transfers(target: GroupAssignment, group: GroupSubscription) -> GroupAssignment:
    """``target`` minus every partition that moves to a member from another claimant (KIP-429).

    A member keeps what it already claims; a partition it does not claim but some other member
    does is withheld this round, so it is never given out while someone may still consume it.
    When nothing is withheld, ``target`` itself is returned.
    """
    own = {m: set(sub.owned_partitions) for m, sub in group.items()}
    everyone = set().union(*own.values()) if own else set()
    if not everyone:
        return target
    out: dict[str, tuple[TopicPartition, ...]] = {}
    withheld = False
    for m, parts in target.owned.items():
        moving = set(parts).difference(own.get(m, ()))
        held_elsewhere = everyone.intersection(moving)
        if held_elsewhere:
            withheld = True
            out[m] = tuple(tp for tp in parts if tp not in held_elsewhere)
        else:
            out[m] = parts
    return GroupAssignment(MappingProxyType(out)) if withheld else target


def _all_owned(group: GroupSubscription, cluster: ClusterMetadata) -> bool:
    """Every partition of every subscribed topic is in some member's ``owned_partitions``."""
    owned = {tp for sub in group.values() for tp in sub.owned_partitions}
    topics = set().union(*(sub.topics for sub in group.values())) if group else set()
    return all(tp in owned for t in topics for tp in cluster.partitions_of(t))


def _grows(before: GroupAssignment, after: GroupAssignment) -> bool:
    """Every member hands out at least what it did ``before``, and someone more."""
    return before != after and all(
        set(tps) <= set(after.owned.get(m, ())) for m, tps in before.owned.items())


def with_ownership(
    group: GroupSubscription, owned: Mapping[str, Iterable[TopicPartition]], generation: int
) -> dict[str, MemberSubscription]:
    """``group`` with each member now owning ``owned[member]`` at ``generation``."""
    return {m: replace(sub, owned_partitions=tuple(owned.get(m, ())), generation=generation)
            for m, sub in group.items()}


def revoked(group: GroupSubscription, assignment: GroupAssignment) -> dict[str, tuple[TopicPartition, ...]]:
    """Per member, the owned partitions it must revoke after receiving ``assignment``."""
    out: dict[str, tuple[TopicPartition, ...]] = {}
    for m, sub in group.items():
        now = set(assignment.owned.get(m, ()))
        lost = tuple(sorted(tp for tp in sub.owned_partitions if tp not in now))
        if lost:
            out[m] = lost
    return out

