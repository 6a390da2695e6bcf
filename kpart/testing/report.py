"""Results of a conformance run: the table, the JSON, and failures as pytest regression cases."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kpart.testing.rebalance import Case
from strategies.core import GroupAssignment, MemberSubscription

PASS, FAIL, FIGURE, ERROR, NOT_APPLICABLE = "pass", "FAIL", "figure", "ERROR", "n/a"


@dataclass
class Result:
    """One property's outcome. ``verdict`` is pass / FAIL / ERROR (the run itself broke) /
    figure (measured, not claimed) / n/a; ``detail`` says why; ``regression`` is a pytest case
    reproducing a failure."""

    property: str
    guarantee: str
    verdict: str
    detail: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    regression: str | None = None
    seconds: float = 0.0


@dataclass
class Report:
    """Every result of one run; ``ok`` when nothing failed."""

    subject: str
    kind: str
    profile: str
    seed: int
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(r.verdict in (FAIL, ERROR) for r in self.results)

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if r.verdict in (FAIL, ERROR)]

    def table(self) -> str:
        """A plain-text table: property, verdict, detail; then each failure's regression case."""
        head = (f"kpart check {self.subject} ({self.kind}; profile {self.profile}, seed {self.seed}; "
                + ", ".join(f"{k} {v}" for k, v in self.settings.items()) + ")")
        width = max(len(r.property) for r in self.results) if self.results else 10
        lines = [head, "", f"{'property':<{width}}  verdict  detail"]
        lines.append(f"{'-' * width}  -------  ------")
        for r in self.results:
            detail = r.detail or ", ".join(f"{k}: {v}" for k, v in r.figures.items())
            lines.append(f"{r.property:<{width}}  {r.verdict:<7}  {detail}")
        failed = self.failures
        lines.append("")
        lines.append(f"{len(self.results) - len(failed)} of {len(self.results)} properties hold or "
                     f"are figures; {len(failed)} failed ({self.seconds:.1f} s)")
        for r in failed:
            if r.regression:
                lines += ["", f"# --- regression case for {r.property} (paste into a test file) ---",
                          r.regression]
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({
            "subject": self.subject, "kind": self.kind, "profile": self.profile, "seed": self.seed,
            "ok": self.ok, "seconds": round(self.seconds, 3), "settings": self.settings,
            "results": [{"property": r.property, "guarantee": r.guarantee, "verdict": r.verdict,
                         "detail": r.detail, "figures": r.figures, "regression": r.regression,
                         "seconds": round(r.seconds, 3)} for r in self.results],
        }, indent=2, default=str)


def _bytes(b: bytes) -> str:
    if len(b) > 64 and not any(b):
        return f"bytes({len(b)})"
    return repr(b)


def _member(sub: MemberSubscription) -> str:
    args = [repr(sub.member_id), "{" + ", ".join(repr(t) for t in sorted(sub.topics)) + "}"]
    if sub.owned_partitions:
        args.append("owned_partitions=(" + "".join(f"TopicPartition({tp.topic!r}, {tp.partition}), "
                                                   for tp in sub.owned_partitions).rstrip(", ") + ",)")
    if sub.generation != -1:
        args.append(f"generation={sub.generation}")
    if sub.rack is not None:
        args.append(f"rack={sub.rack!r}")
    if sub.group_instance_id is not None:
        args.append(f"group_instance_id={sub.group_instance_id!r}")
    if sub.user_data is not None:
        args.append(f"user_data={_bytes(sub.user_data)}")
    return "MemberSubscription(" + ", ".join(args) + ")"


def _partitions(owned: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{m!r}: [{', '.join(str(tp) for tp in tps)}]"
                           for m, tps in sorted(owned.items())) + "}"


def render_case(case: Case) -> str:
    """Python source building ``case`` (names from ``strategies`` and ``kpart.testing``)."""
    lines = [f"    cluster = ClusterMetadata({dict(case.cluster.partition_counts)!r})", "    group = {"]
    lines += [f"        {m!r}: {_member(s)}," for m, s in case.group.items()]
    lines.append("    }")
    previous = {m: tps for m, tps in case.previous.items() if tps}
    lines.append("    previous = {" + ", ".join(
        f"{m!r}: (" + "".join(f"TopicPartition({tp.topic!r}, {tp.partition}), " for tp in tps)
        .rstrip(", ") + ",)" for m, tps in sorted(previous.items())) + "}")
    return "\n".join(lines)


def regression_test(prop: str, message: str, case: Case, assignment: GroupAssignment | None,
                    target: str, protocol: str, claims: Mapping[str, object]) -> str:
    """A pytest function that fails while the assignor still breaks ``prop`` on ``case``."""
    out = [
        "from kpart.testing import Case, replay",
        "from strategies import ClusterMetadata, MemberSubscription, TopicPartition",
        "",
        "",
        f"def test_{prop}_regression() -> None:",
        f"    # kpart check: {message}",
        render_case(case),
    ]
    if assignment is not None:
        out.append(f"    # the assignor returned {_partitions(assignment.owned)}")
    out.append(f"    replay({target}, {prop!r}, Case(cluster, group, previous), "
               f"protocol={protocol!r}, claims={dict(claims)!r})")
    return "\n".join(out)
