"""DELIBERATELY BROKEN -- an assignor with the bugs teams find in production. Do not use it.

It exists to show what ``kpart check`` reports for a broken assignor::

    kpart check examples/broken_assignor.py:KeepEverythingAssignor

``KeepEverythingAssignor`` lets every member keep whatever its user data says it owned, then
deals the remaining partitions round-robin. It trusts member-supplied data, so:

* two members claiming the same partition both keep it (one partition, two owners -- the
  state that breaks a group's upgrade to the consumer protocol);
* a member keeps partitions of topics it no longer subscribes to, or that no longer exist;
* nothing rebalances the kept partitions, so a new member may get nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from strategies import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    TopicPartition,
)
from strategies.codec import UserDataError, decode_sticky, encode_sticky


class KeepEverythingAssignor(Assignor):
    """Keeps every claim (BROKEN on purpose), round-robins the rest."""

    name = "keep-everything"

    def assign(self, group: GroupSubscription, cluster: ClusterMetadata) -> GroupAssignment:
        owned: dict[str, list[TopicPartition]] = {m: [] for m in group}
        taken: set[TopicPartition] = set()
        for m, sub in group.items():
            try:
                claims = decode_sticky(sub.user_data).partitions if sub.user_data else ()
            except UserDataError:
                claims = ()
            owned[m].extend(claims)  # BUG: no check for duplicates, subscriptions or existence
            taken.update(claims)
        members = sorted(group)
        free = [tp for t in sorted(set().union(*(s.topics for s in group.values())))
                for tp in cluster.partitions_of(t) if tp not in taken]
        i = 0
        for tp in free:
            while tp.topic not in group[members[i % len(members)]].topics:
                i += 1
            owned[members[i % len(members)]].append(tp)
            i += 1
        return GroupAssignment.of(owned)

    def encode_user_data(self, owned: Sequence[TopicPartition], generation: int) -> bytes:
        return encode_sticky(owned, generation)


if __name__ == "__main__":
    print(__doc__)
