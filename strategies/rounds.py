"""The one driver of cooperative rebalance rounds (KIP-429), pure.

:func:`cooperative_rounds` yields each round as it happens, so a caller records what it needs
(the simulator: times, revocations, ownership); :func:`rebalance_rounds` keeps just the
assignments. Coordinator concerns (timeouts, members that fail to rejoin) are the caller's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from strategies.cooperative import revoked
from strategies.core import Assignor, ClusterMetadata, GroupAssignment, GroupSubscription, TopicPartition


@dataclass(frozen=True)
class Round:
    """One JoinGroup/SyncGroup round: what the members sent, what they got, what they revoke."""

    number: int
    """0 for the first round."""
    group: GroupSubscription
    assignment: GroupAssignment
    revoked: Mapping[str, tuple[TopicPartition, ...]]
    """Per member that lost something, the owned partitions it revokes (sorted)."""


def cooperative_rounds(
    assignor: Assignor,
    group: GroupSubscription,
    cluster: ClusterMetadata,
    generation: int,
    max_rounds: int = 10,
) -> Iterator[Round]:
    """Run the cooperative protocol from ``group``'s current ownership until it settles.

    Each round: the assignor assigns; every member keeps what it was assigned and revokes the
    rest; if anyone revoked something, every member rejoins for another round, owning what it
    was assigned, at ``generation`` for the second round and one more for each after, with the
    user data ``assignor.encode_user_data`` gives for that ownership and generation. The last
    round yielded revokes nothing; raises ``RuntimeError`` if none does within ``max_rounds``.
    """
    current = dict(group)
    for number in range(max_rounds):
        assignment = assignor.assign(current, cluster)
        lost = revoked(current, assignment)
        yield Round(number, current, assignment, lost)
        if not lost:
            return
        gen = generation + number
        current = {m: replace(sub, owned_partitions=(owned := tuple(assignment.owned.get(m, ()))),
                              generation=gen, user_data=assignor.encode_user_data(owned, gen))
                   for m, sub in current.items()}
    raise RuntimeError(f"{assignor.name} did not settle within {max_rounds} cooperative rounds")


def rebalance_rounds(
    assignor: Assignor,
    group: GroupSubscription,
    cluster: ClusterMetadata,
    generation: int,
    max_rounds: int = 10,
) -> list[GroupAssignment]:
    """The assignment of every round of :func:`cooperative_rounds`; the last one is settled."""
    return [r.assignment for r in cooperative_rounds(assignor, group, cluster, generation, max_rounds)]
