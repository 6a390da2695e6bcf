"""Which rebalance protocol a strategy runs under, and how strategy names are resolved.

* ``EAGER`` -- classic protocol: at every rebalance each member revokes everything, one
  JoinGroup/SyncGroup round later it holds its new assignment.
* ``COOPERATIVE`` -- classic protocol, KIP-429: members keep what they own; partitions that
  move are withheld, revoked at the end of a round and handed over one round later.
* ``INCREMENTAL`` -- KIP-848 consumer protocol: the broker computes a target assignment and
  every member reconciles on its own heartbeats; there is no group-wide barrier.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import strategies
from kpart.simulation.server_assignors import RangeServerAssignor, UniformServerAssignor
from strategies import Assignor, RebalanceProtocol


class Protocol(enum.Enum):
    """How partitions change hands in the simulated group."""

    EAGER = "eager"
    COOPERATIVE = "cooperative"
    INCREMENTAL = "incremental"


SERVER_ASSIGNORS = {"kip848-uniform": UniformServerAssignor, "kip848-range": RangeServerAssignor}
"""Names of the modelled broker-side (KIP-848) assignors."""

CLASSIC = ("range", "roundrobin", "sticky", "cooperative-sticky")
DEFAULT_STRATEGIES = (*CLASSIC, "kip848-uniform")


@dataclass(frozen=True)
class Strategy:
    """An assignor plus the protocol it runs under; ``name`` is what the user typed."""

    name: str
    assignor: Assignor
    protocol: Protocol


def strategy_names() -> list[str]:
    """Every name :func:`resolve_strategy` accepts (without an ``@protocol`` suffix)."""
    return sorted(set(strategies.names()) | set(SERVER_ASSIGNORS))


def resolve_strategy(name: str) -> Strategy:
    """``range``, ``cooperative-sticky``, ``kip848-uniform``, ... optionally ``NAME@eager`` or
    ``NAME@cooperative`` to force a classic protocol the assignor supports.

    A classic assignor runs under COOPERATIVE when it supports it (as the Java and kafka-python
    consumers choose), else EAGER. Raises ``ValueError`` naming the known strategies.
    """
    base, _, forced = name.partition("@")
    if base in SERVER_ASSIGNORS:
        if forced:
            raise ValueError(f"strategy {name!r}: KIP-848 assignors only run under the incremental protocol")
        return Strategy(name, SERVER_ASSIGNORS[base](), Protocol.INCREMENTAL)
    try:
        assignor = strategies.get_assignor(base)
    except KeyError:
        raise ValueError(f"unknown strategy {base!r}; known: {', '.join(strategy_names())}") from None
    supported = {RebalanceProtocol.EAGER: Protocol.EAGER, RebalanceProtocol.COOPERATIVE: Protocol.COOPERATIVE}
    offered = [supported[p] for p in assignor.protocols]
    if forced:
        try:
            protocol = Protocol(forced)
        except ValueError:
            raise ValueError(f"strategy {name!r}: protocol must be 'eager' or 'cooperative'") from None
        if protocol not in offered:
            raise ValueError(f"strategy {name!r}: {base} does not support the {forced} protocol")
    else:
        protocol = Protocol.COOPERATIVE if Protocol.COOPERATIVE in offered else Protocol.EAGER
    return Strategy(name, assignor, protocol)
