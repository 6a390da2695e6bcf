"""The assignor properties, each named after the guarantee it checks.

A property pairs a generator of inputs with a check that raises
:class:`~kpart.testing.assignment_checks.Violation`. Universal properties hold for every
assignor; the others only become verdicts for what the assignor claims, and are reported as
figures otherwise.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from kpart.testing import generators as gen
from kpart.testing.assignment_checks import (
    Violation,
    check_no_steal,
    check_only_subscribed,
    check_owned_once,
    check_spread,
    spread,
)
from kpart.testing.oracle import fewest_moves, moves
from kpart.testing.rebalance import Case, Round, Subject, joined, rebalance, settled
from strategies.core import ClusterMetadata, GroupAssignment, MemberSubscription, TopicPartition

LOOP = 10
"""Rounds after which a rebalance that still revokes partitions is called a loop."""


class Figures(dict[str, Any]):
    """Figures a property measures while it runs (largest and mean values)."""

    def largest(self, key: str, value: float) -> None:
        self[key] = max(self.get(key, value), value)

    def sample(self, key: str, value: float) -> None:
        total, n = self.pop(f"_{key}", (0.0, 0))
        self[f"_{key}"] = (total + value, n + 1)

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in self.items() if not k.startswith("_")}
        for k, (total, n) in ((k[1:], v) for k, v in self.items() if k.startswith("_")):
            out[f"mean {k}"] = round(total / n, 3) if n else None
            out["examples"] = n
        return out


Check = Callable[[Subject, Any, Figures, bool], None]


@dataclass(frozen=True)
class Property:
    """``check(subject, input, figures, verdict)`` over inputs drawn from ``inputs(subject)``.

    ``claim`` names the claim that makes it a verdict (``None``: universal; ``figure_only``:
    never a verdict); ``applies`` says whether it concerns this subject at all (the cooperative
    ones only under COOPERATIVE); ``weight`` scales the profile's number of examples.
    """

    name: str
    guarantee: str
    inputs: Callable[[Subject], st.SearchStrategy[Any]]
    check: Check
    claim: str | None = None
    applies: Callable[[Subject], bool] = field(default=lambda s: True)
    weight: float = 1.0
    figure_only: bool = False


@contextmanager
def blame(case: Case | None, assignment: GroupAssignment | None = None) -> Iterator[None]:
    """Attach ``case`` and ``assignment`` to a :class:`Violation` raised inside."""
    try:
        yield
    except Violation as v:
        if v.case is None:
            v.case = case
        if v.assignment is None:
            v.assignment = assignment
        raise


def settle(subject: Subject, case: Case, subscribed: bool = True) -> list[Round]:
    """Rebalance ``case`` until it settles; no round owns a partition twice (nor, when
    ``subscribed``, of a topic its owner does not subscribe to); the last round owns all."""
    with blame(case):
        rounds = rebalance(subject, case, LOOP)
    for r in rounds:
        with blame(case, r.assignment):
            check_owned_once(r.group, case.cluster, r.assignment, complete=False)
            if subscribed:
                check_only_subscribed(r.group, case.cluster, r.assignment)
    with blame(case, rounds[-1].assignment):
        if not settled(subject, rounds):
            raise Violation(f"still revoking partitions after {LOOP} rounds (a rebalance loop)")
        check_owned_once(case.group, case.cluster, rounds[-1].assignment)
    return rounds


def _valid(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    settle(subject, case)


def _owned_once(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    settle(subject, case, subscribed=False)


def _only_subscribed(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    with blame(case):
        rounds = rebalance(subject, case, LOOP)
    for r in rounds:
        with blame(case, r.assignment):
            check_owned_once(r.group, case.cluster, r.assignment, complete=False)
            check_only_subscribed(r.group, case.cluster, r.assignment)


def _as_sets(a: GroupAssignment) -> dict[str, frozenset[TopicPartition]]:
    return {m: frozenset(tps) for m, tps in a.owned.items()}


def _deterministic(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    from kpart.testing.rebalance import call_assign

    with blame(case):
        first = call_assign(subject.assignor, case.group, case.cluster)
    with blame(case, first):
        check_owned_once(case.group, case.cluster, first, complete=False)
        shuffled = list(case.group.items())
        random.Random(len(shuffled)).shuffle(shuffled)
        variants: list[tuple[str, Any, Mapping[str, MemberSubscription]]] = [
            ("the same input again", subject.assignor, case.group),
            ("the members in reverse order", subject.assignor, dict(reversed(list(case.group.items())))),
            ("the members shuffled", subject.assignor, dict(shuffled)),
        ]
        if subject.factory is not None:
            variants.append(("a new instance", subject.factory(), case.group))
        for what, assignor, group in variants:
            other = call_assign(assignor, group, case.cluster)
            if not isinstance(other, GroupAssignment) or _as_sets(other) != _as_sets(first):
                diff = sorted(m for m in case.group if other is None or not isinstance(
                    other, GroupAssignment) or set(other.owned.get(m, ())) != set(first.owned[m]))
                raise Violation(f"{what} gave a different assignment (member {diff[0]!r} differs)",
                                other if isinstance(other, GroupAssignment) else None)


def _never_double_owned(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    with blame(case):
        rounds = rebalance(subject, case, LOOP)
    for i, r in enumerate(rounds, 1):
        holders = {m: set(s.owned_partitions) for m, s in r.group.items()}
        for m in sorted(r.assignment.owned):
            for tp in r.assignment.owned[m]:
                others = sorted(o for o, h in holders.items() if o != m and tp in h)
                if others:
                    raise Violation(f"round {i} hands {tp} to {m!r} while {others[0]!r} still owns it",
                                    r.assignment).with_case(case)


def _settles(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    with blame(case):
        rounds = rebalance(subject, case, LOOP)
    figures.largest("most rounds", len(rounds))
    if len(rounds) > subject.rounds or not settled(subject, rounds):
        raise Violation(f"took {len(rounds)} rounds" if settled(subject, rounds) else
                        f"still revoking after {LOOP} rounds",
                        rounds[-1].assignment).with_case(case)


def _no_wasted_revocations(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    with blame(case):
        rounds = rebalance(subject, case, LOOP)
    revoked: dict[str, set[TopicPartition]] = {m: set() for m in case.group}
    for i, r in enumerate(rounds, 1):
        for m in sorted(r.assignment.owned):
            back = sorted(revoked.get(m, set()) & set(r.assignment.owned[m]))
            if back:
                raise Violation(f"{m!r} revoked {back[0]} and round {i} hands it back "
                                f"({len(back)} wasted revocation(s))", r.assignment).with_case(case)
        for m, s in r.group.items():
            revoked[m] |= set(s.owned_partitions) - set(r.assignment.owned.get(m, ()))


def _balance_bound(subject: Subject) -> int:
    return int(subject.claims.get("balance", 1))  # type: ignore[call-overload]


def _spread(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    final = settle(subject, case)[-1].assignment
    figures.largest("largest spread", spread(final))
    if verdict:
        with blame(case, final):
            check_spread(final, _balance_bound(subject))


def _no_steal(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    final = settle(subject, case)[-1].assignment
    figures.setdefault("examples breaking it", 0)
    try:
        with blame(case, final):
            check_no_steal(case.group, final, _balance_bound(subject))
    except Violation:
        figures["examples breaking it"] = figures.get("examples breaking it", 0) + 1
        if verdict:
            raise


def _sticky(subject: Subject, case: Case, figures: Figures, verdict: bool) -> None:
    final = settle(subject, case)[-1].assignment
    best = fewest_moves(case.group, case.cluster, case.previous)
    made = moves(case.group, case.cluster, case.previous, final.owned)
    figures.sample("moves beyond the optimum", made - best.moves)
    figures.largest("most moves beyond the optimum", made - best.moves)
    if verdict and made > best.moves:
        raise Violation(f"moved {made} partition(s) where a balanced assignment needs only "
                        f"{best.moves}", final).with_case(case)


def churn(subject: Subject, steps: int) -> st.SearchStrategy[tuple[ClusterMetadata, list[Any]]]:
    """A starting cluster and up to ``steps`` membership and metadata events."""
    return st.tuples(gen.clusters(1), st.lists(gen.event, min_size=1, max_size=steps))


def _apply(event: tuple[str, int, frozenset[str], int], state: dict[str, Any]) -> None:
    kind, pick, topics, n = event
    group: dict[str, MemberSubscription] = state["group"]
    counts: dict[str, int] = state["counts"]
    ids = sorted(group)
    chosen = ids[pick % len(ids)] if ids else None
    if kind == "join" or chosen is None:
        mid = f"m{state['next']:03d}"
        state["next"] += 1
        group[mid] = MemberSubscription(mid, topics, group_instance_id=f"s{mid}" if pick % 2 else None)
    elif kind == "leave":
        del group[chosen]
    elif kind == "static_restart":
        sub = group.pop(chosen)
        mid = f"m{state['next']:03d}"
        state["next"] += 1
        group[mid] = MemberSubscription(mid, sub.topics, group_instance_id=sub.group_instance_id
                                        or f"s{chosen}")
        state["owned"][mid] = state["owned"].pop(chosen, ())
    elif kind == "subscribe":
        group[chosen] = MemberSubscription(chosen, topics, group_instance_id=group[chosen].group_instance_id)
    elif kind == "grow":
        topic = gen.TOPICS[pick % len(gen.TOPICS)]
        counts[topic] = counts.get(topic, 0) + n
    elif kind == "delete_topic" and len(counts) > 1:
        counts.pop(sorted(counts)[pick % len(counts)])
    elif kind == "create_topic":
        counts.setdefault(gen.TOPICS[pick % len(gen.TOPICS)], n)


def settle_and_stay(subject: Subject, case: Case) -> GroupAssignment:
    """Rebalance ``case`` until it settles, then once more with nothing changed: that second
    rebalance must take one round and move nothing. The settled assignment."""
    rounds = settle(subject, case)
    final = rounds[-1].assignment
    generation = max((s.generation for s in case.group.values()), default=-1) + len(rounds)
    quiet = joined(subject, case.cluster, case.group, final.owned, generation)
    with blame(quiet):
        again = rebalance(subject, quiet, LOOP)
    if _as_sets(again[-1].assignment) != _as_sets(final) or len(again) > 1:
        moved = sorted(m for m in final.owned
                       if set(again[-1].assignment.owned.get(m, ())) != set(final.owned[m]))
        raise Violation(f"a rebalance with nothing changed moved partitions of "
                        f"{moved[0] if moved else 'nobody'!r} ({len(again)} round(s))",
                        again[-1].assignment).with_case(quiet)
    return final


def _converges(subject: Subject, run: tuple[ClusterMetadata, list[Any]], figures: Figures,
               verdict: bool) -> None:
    cluster, events = run
    state: dict[str, Any] = {"group": {}, "counts": dict(cluster.partition_counts), "owned": {},
                             "next": 0}
    generation = 0
    for event in events:
        _apply(event, state)
        if not state["group"]:
            continue
        case = joined(subject, ClusterMetadata(state["counts"]), state["group"], state["owned"],
                      generation)
        final = settle_and_stay(subject, case)
        generation += 2 * LOOP
        state["owned"] = {m: tuple(tps) for m, tps in final.owned.items()}


def properties(churn_steps: int) -> list[Property]:
    """Every assignor property, in report order."""
    coop: Callable[[Subject], bool] = lambda s: s.cooperative  # noqa: E731
    return [
        Property("every_subscribed_partition_owned_exactly_once",
                 "after a rebalance settles, each partition of a subscribed topic has one owner",
                 lambda s: gen.cases(s), _owned_once),
        Property("nothing_of_an_unsubscribed_or_missing_topic",
                 "no member owns a partition of a topic it does not subscribe to, or that does not exist",
                 lambda s: gen.cases(s), _only_subscribed),
        Property("same_input_same_output_whatever_the_member_order",
                 "assign is a function of the group, not of member order or instance",
                 lambda s: gen.cases(s), _deterministic),
        Property("tolerates_corrupt_truncated_foreign_and_oversized_user_data",
                 "garbage user data and owned partitions never raise and never break the assignment",
                 gen.hostile_cases, _valid),
        Property("tolerates_duplicate_member_ids",
                 "subscriptions carrying another member's id or a shared instance id are handled",
                 gen.duplicate_id_cases, _valid),
        Property("tolerates_zero_partition_topics",
                 "subscribed topics with no partitions are skipped, not fatal",
                 gen.zero_partition_cases, _valid),
        Property("static_members_restarting_with_new_ids",
                 "static members rejoining under new member ids get a valid, complete assignment",
                 gen.static_restart_cases, _valid),
        Property("never_hands_out_a_partition_another_member_still_owns",
                 "KIP-429: in every round, a partition changes owner only after its owner revoked it",
                 lambda s: gen.cases(s), _never_double_owned, applies=coop, weight=3),
        Property("settles_within_the_claimed_rounds",
                 "with unchanged membership a cooperative rebalance settles within the claimed rounds "
                 "(claim 'rounds', default 2)",
                 lambda s: gen.cases(s), _settles, applies=coop, weight=3),
        Property("no_wasted_revocations",
                 "no partition is revoked from a member and then handed back to it",
                 lambda s: gen.cases(s), _no_wasted_revocations, applies=coop, weight=3),
        Property("converges_under_long_random_churn",
                 "after every join, leave, restart and metadata change the group settles, and a "
                 "rebalance with nothing changed moves nothing",
                 lambda s: churn(s, churn_steps), _converges, weight=0.4),
        Property("counts_within_the_claimed_bound_with_identical_subscriptions",
                 "with identical subscriptions, partition counts differ by at most the claimed bound",
                 lambda s: gen.cases(s, same_topics=True), _spread, claim="balance"),
        Property("no_member_could_take_from_one_owning_more",
                 "with any subscriptions, no member could take a partition from one owning more "
                 "than the balance bound more",
                 lambda s: gen.cases(s), _no_steal, claim="balance_any_subscriptions"),
        Property("fewest_moves_of_any_balanced_assignment",
                 "with identical subscriptions, moves no more partitions than the min-cost-flow "
                 "optimum of any balanced assignment",
                 lambda s: gen.cases(s, same_topics=True, missing=False), _sticky, claim="sticky",
                 weight=0.5),
        Property("moves_beyond_the_optimum_with_mixed_subscriptions",
                 "with mixed subscriptions, partitions moved beyond the min-cost-flow optimum "
                 "(always a figure)",
                 lambda s: gen.cases(s), _sticky, weight=0.5, figure_only=True),
    ]
