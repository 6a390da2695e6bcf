"""The sticky assignor: balance first, then keep as many previous assignments as possible.

Guarantees (those of Java's ``StickyAssignor``):

* with identical subscriptions, partition counts differ by at most one; with different
  subscriptions, no member could take a partition from a member owning two or more more;
* subject to that, the number of partitions staying with their previous owner is maximal for
  identical subscriptions (and only balance moves partitions otherwise);
* the previous assignment and generation travel in the subscription's user data in Java's
  ``StickyAssignorUserData`` v1 layout, so Java, librdkafka and our members can share a group
  and any of them can lead; when two members claim a partition, the higher generation wins;
* user data that cannot be decoded is ignored for that member with a warning, never raised.

A member that sends no user data but lists ``owned_partitions`` is treated as claiming those.
Rack-aware (KIP-881) when members send racks and replica racks are known.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from strategies.balance import sticky_assignment
from strategies.codec import UserDataError, decode_sticky, encode_sticky
from strategies.core import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    MemberSubscription,
    RebalanceProtocol,
    TopicPartition,
)

log = logging.getLogger("strategies")


class StickyAssignor(Assignor):
    """Java-compatible sticky assignment (EAGER protocol)."""

    name = "sticky"
    protocols = (RebalanceProtocol.EAGER,)
    claims = {"balance": 1, "balance_any_subscriptions": True, "sticky": True}

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        return sticky_assignment(group, cluster, self.claims_of, self.name)

    def claims_of(
        self, member_id: str, sub: MemberSubscription
    ) -> tuple[Sequence[TopicPartition], int]:
        """The partitions ``sub`` says it held, and at which generation."""
        if sub.user_data:
            try:
                data = decode_sticky(sub.user_data)
            except UserDataError as exc:
                log.warning("%s: ignoring user data of member %r: %s", self.name, member_id, exc)
                return (), -1
            generation = data.generation if data.generation >= 0 else sub.generation
            return data.partitions, generation
        return sub.owned_partitions, sub.generation

    def encode_user_data(self, owned: Sequence[TopicPartition], generation: int) -> bytes:
        """Java ``StickyAssignorUserData`` v1: previous assignment + generation."""
        return encode_sticky(owned, generation)
