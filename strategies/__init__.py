"""Consumer-side assignment strategies: which member owns which partition?

The core (:mod:`strategies.core`) is pure and client-agnostic. Look an assignor up by the name
Kafka users know with :func:`get_assignor`; list names with :func:`names`.
"""

from strategies.core import (
    Assignor,
    ClusterMetadata,
    GroupAssignment,
    GroupSubscription,
    MemberSubscription,
    RebalanceProtocol,
    TopicPartition,
)
from strategies.range import RangeAssignor
from strategies.registry import get_assignor, names, register
from strategies.round_robin import RoundRobinAssignor

__all__ = [
    "Assignor",
    "ClusterMetadata",
    "GroupAssignment",
    "GroupSubscription",
    "MemberSubscription",
    "RangeAssignor",
    "RebalanceProtocol",
    "RoundRobinAssignor",
    "TopicPartition",
    "get_assignor",
    "names",
    "register",
]
