"""Which rebalance protocol a strategy runs under, and how strategy names are resolved.

* ``EAGER`` -- classic protocol: at every rebalance each member revokes everything, one
  JoinGroup/SyncGroup round later it holds its new assignment.
* ``COOPERATIVE`` -- classic protocol, KIP-429: members keep what they own; partitions that
  move are withheld, revoked at the end of a round and handed over one round later.
* ``INCREMENTAL`` -- KIP-848 consumer protocol: the broker computes a target assignment and
  every member reconciles on its own heartbeats; there is no group-wide barrier.

A group may mix members of both protocols (:func:`group_strategy` decides who assigns): on a
4.x broker, as soon as one member speaks the consumer protocol the group is a consumer group
and the broker's assignor assigns every member, classic ones included; when the last
consumer-protocol member leaves, the group turns classic again.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

import strategies
from kpart.registry import did_you_mean
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
        known = strategy_names()
        raise ValueError(f"unknown strategy {base!r}{did_you_mean(base, known)}; known: {', '.join(known)}") \
            from None
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


CONSUMER_PROTOCOL_SINCE = (4, 0)
"""First broker version where the consumer protocol is generally available and a group may
mix classic and consumer-protocol members (``group.consumer.migration.policy`` defaults to
``bidirectional``; 3.8 and 3.9 default to ``disabled``, 3.7 has no migration)."""


def broker_version(text: str) -> tuple[int, int]:
    """``"4.1"`` (or ``"4.1.1"``) -> ``(4, 1)``; raises ``ValueError`` for anything else."""
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", text)
    if match is None:
        raise ValueError(f"broker version must look like 4.1, got {text!r}")
    return int(match[1]), int(match[2])


def check_broker_supports(strategy: Strategy, version: str) -> None:
    """Raise ``ValueError`` if a broker of ``version`` cannot run a member of ``strategy``."""
    if strategy.protocol is Protocol.INCREMENTAL and broker_version(version) < CONSUMER_PROTOCOL_SINCE:
        raise ValueError(f"strategy {strategy.name!r}: the consumer group protocol (KIP-848) needs a "
                         f"4.0+ broker, the scenario's broker is {version}")


def group_strategy(members: Mapping[str, Strategy]) -> Strategy:
    """What assigns a group whose members (by name, at least one) run these strategies.

    With any consumer-protocol member it is the broker's assignor: the one most
    consumer-protocol members name in ``group.remote.assignor`` (classic members name none that
    counts). On a tie the broker takes whichever its hash map of names yields first; the model
    takes ``uniform``, the first of the broker's default ``group.consumer.assignors``.
    Without one, it is the classic assignor the members share; members naming different
    classic strategies cannot form one classic group (``ValueError``, as the broker answers
    ``INCONSISTENT_GROUP_PROTOCOL``).
    """
    server = [s.name for s in members.values() if s.protocol is Protocol.INCREMENTAL]
    if server:
        more_range = server.count("kip848-range") > server.count("kip848-uniform")
        wanted = "kip848-range" if more_range else "kip848-uniform"
        return next(s for s in members.values() if s.name == wanted) if wanted in server \
            else resolve_strategy(wanted)
    first: dict[str, str] = {}
    for member, s in members.items():
        first.setdefault(s.name, member)
    if len(first) > 1:
        named = " and ".join(f"{m} ({s})" for s, m in first.items())
        raise ValueError(f"members {named} run different classic strategies: they cannot share one "
                         "classic group")
    return next(iter(members.values()))
