"""Consumer-side assignment strategies: which member owns which partition?

The core (:mod:`strategies.core`) is pure and client-agnostic. Look an assignor up by the name
Kafka users know with :func:`get_assignor`; list names with :func:`names`.
"""

from strategies.cooperative import CooperativeStickyAssignor, withhold_transfers
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
from strategies.roundrobin import RoundRobinAssignor
from strategies.rounds import Round, cooperative_rounds, rebalance_rounds
from strategies.sticky import StickyAssignor
from strategies.weighted import WeightedStickyAssignor

__all__ = [
    "Assignor",
    "ClusterMetadata",
    "CooperativeStickyAssignor",
    "GroupAssignment",
    "GroupSubscription",
    "MemberSubscription",
    "RangeAssignor",
    "RebalanceProtocol",
    "Round",
    "RoundRobinAssignor",
    "StickyAssignor",
    "TopicPartition",
    "WeightedStickyAssignor",
    "cooperative_rounds",
    "get_assignor",
    "names",
    "rebalance_rounds",
    "register",
    "withhold_transfers",
]
