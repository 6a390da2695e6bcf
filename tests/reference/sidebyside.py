"""Ours and Java's sticky assignors side by side on the same churn: each side keeps its own
history, fed back the way its members send it, and the figures are summed over every step.

``python -m tests.reference.sidebyside`` prints the figures the tests compare (the table in
docs/strategies.md, "Checked against the references").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from kpart.reference import JavaReference, ReferenceAssignor
from strategies.core import Assignor, ClusterMetadata, GroupAssignment, GroupSubscription, TopicPartition
from strategies.metrics import moved
from strategies.rounds import rebalance_rounds
from tests.reference.churn import Churn

STEPS = 12
CASES: dict[str, dict[str, bool]] = {
    "identical subscriptions": {},
    "mixed subscriptions": {"mixed": True},
    "racks": {"racks": True},
    "racks, mixed subscriptions": {"racks": True, "mixed": True},
}


def churns(case: str) -> list[Churn]:
    """The eight seeded churns of ``case`` (7 members, up to 20 partitions per topic)."""
    return [Churn(seed, static=True, members=7, max_partitions=20, **CASES[case]) for seed in range(8)]


@dataclass
class Figures:
    """One side's totals over a churn: lower is better except ``local``."""

    steps: int = 0
    invalid: list[str] = field(default_factory=list)  # steps whose assignment is not valid
    spread: int = 0  # sum over steps of (max - min) partitions per member
    moved: int = 0  # partitions whose owner changed, summed over steps
    local: int = 0  # partitions on a same-rack member, over the steps
    judged: int = 0  # partitions whose locality can be judged, over the steps
    wasted: int = 0  # cooperative: revoked in one round, handed back to the same member next round

    @property
    def locality(self) -> float:
        return self.local / self.judged if self.judged else 1.0


def problems(group: GroupSubscription, cluster: ClusterMetadata, out: GroupAssignment) -> str:
    """Why ``out`` is not a valid assignment of ``group`` (empty if it is)."""
    wanted = {tp for sub in group.values() for t in sub.topics for tp in cluster.partitions_of(t)}
    seen: dict[TopicPartition, str] = {}
    for member, tps in out.owned.items():
        for tp in tps:
            if tp in seen:
                return f"{tp} owned by {seen[tp]} and {member}"
            if member not in group or tp.topic not in group[member].topics:
                return f"{tp} given to {member}, which does not subscribe to it"
            seen[tp] = member
    missing = wanted - set(seen)
    return f"{len(missing)} partitions unowned, e.g. {min(missing)}" if missing else ""


def _record(figures: Figures, label: str, group: GroupSubscription, cluster: ClusterMetadata,
            before: GroupAssignment, out: GroupAssignment) -> None:
    figures.steps += 1
    why = problems(group, cluster, out)
    if why:
        figures.invalid.append(f"{label}: {why}")
    counts = [len(out.owned.get(m, ())) for m in group]
    figures.spread += max(counts) - min(counts)
    figures.moved += moved(before, out)
    for member, tps in out.owned.items():
        rack = group[member].rack
        for tp in tps:
            racks = cluster.replica_racks.get(tp)
            if rack is not None and racks:
                figures.judged += 1
                figures.local += rack in racks


def _eager_group(assignor: Assignor, group: GroupSubscription, java: bool) -> GroupSubscription:
    """Eager members send no owned partitions; ours carry the previous assignment in user data
    (as our members send it), Java's harness builds Java's user data from ``owned_partitions``."""
    if java:
        return group
    return {m: replace(sub, owned_partitions=(),
                       user_data=assignor.encode_user_data(sub.owned_partitions, sub.generation)
                       if sub.generation >= 0 else None)
            for m, sub in group.items()}


def _wasted(group: GroupSubscription, rounds: list[GroupAssignment]) -> int:
    owned: Mapping[str, tuple[TopicPartition, ...]] = {m: sub.owned_partitions for m, sub in group.items()}
    wasted = 0
    revoked: dict[str, set[TopicPartition]] = {}
    for out in rounds:
        wasted += sum(len(revoked.get(m, set()) & set(tps)) for m, tps in out.owned.items())
        revoked = {m: set(owned.get(m, ())) - set(out.owned.get(m, ())) for m in out.owned}
        owned = out.owned
    return wasted


def side_by_side(java: JavaReference, ours: Assignor, name: str, churns: list[Churn],
                 steps: int) -> tuple[Figures, Figures]:
    """Figures of (ours, Java's) ``name`` over ``steps`` events of each churn."""
    cooperative = name == "cooperative-sticky"
    sides = ((ours, Figures()), (ReferenceAssignor(java, name), Figures()))
    for index, churn in enumerate(churns):
        history: list[dict[str, tuple[TopicPartition, ...]]] = [{}, {}]
        for step in range(steps):
            event = churn.step() if step else "start"
            for old, new in churn.renamed.items():  # a static member restarts with its assignment
                for prev in history:
                    if old in prev:
                        prev[new] = prev.pop(old)
            cluster = churn.cluster()
            for i, (assignor, figures) in enumerate(sides):
                group = churn.subscriptions(history[i], step)
                before = GroupAssignment.of(history[i])
                label = f"churn {index} step {step} ({event})"
                if cooperative:
                    rounds = rebalance_rounds(assignor, group, cluster, step)
                    figures.wasted += _wasted(group, rounds)
                    out = rounds[-1]
                else:
                    out = assignor.assign(_eager_group(assignor, group, i == 1), cluster)
                _record(figures, label, group, cluster, before, out)
                history[i] = dict(out.owned)
    return sides[0][1], sides[1][1]


def main() -> None:
    import strategies

    with JavaReference() as java:
        print("| assignor | case | spread summed, ours / Java | partitions moved, ours / Java "
              "| rack locality, ours / Java | revoked then handed back, ours / Java |")
        print("|---|---|---|---|---|---|")
        for name in ("sticky", "cooperative-sticky"):
            for case in CASES:
                ours, theirs = side_by_side(java, strategies.get_assignor(name), name, churns(case), STEPS)
                locality = f"{ours.locality:.1%} / {theirs.locality:.1%}" if theirs.judged else "—"
                print(f"| {name} | {case} | {ours.spread} / {theirs.spread} | {ours.moved} / {theirs.moved} "
                      f"| {locality} | {ours.wasted} / {theirs.wasted} |")


if __name__ == "__main__":
    main()
