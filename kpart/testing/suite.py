"""The runner: each property under hypothesis with a profile, collected into a :class:`Report`."""

from __future__ import annotations

import logging
import random
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import HypothesisWarning

from kpart.testing import assignor_properties as ap
from kpart.testing import partitioner_properties as pp
from kpart.testing.assignment_checks import Violation
from kpart.testing.rebalance import Case, Subject, joined, rebalance
from kpart.testing.report import (
    ERROR,
    FAIL,
    FIGURE,
    NOT_APPLICABLE,
    PASS,
    Report,
    Result,
    regression_test,
)
from kpart.testing.targets import (
    ASSIGNOR_CLAIMS,
    PARTITIONER_CLAIMS,
    TargetError,
    as_assignor,
    as_partitioner,
    claims_of,
    load_object,
)
from strategies.core import Assignor, ClusterMetadata, MemberSubscription, RebalanceProtocol


@dataclass(frozen=True)
class Profile:
    """How hard to look: examples per property, churn length, group sizes timed."""

    name: str
    examples: int
    churn_steps: int
    speed_members: tuple[int, ...]
    shrink_seconds: float


PROFILES = {
    "quick": Profile("quick", 100, 15, (100, 1000), 5.0),
    "thorough": Profile("thorough", 1000, 60, (100, 1000), 120.0),
}
for _p in PROFILES.values():
    settings.register_profile(
        f"kpart-{_p.name}", max_examples=_p.examples, deadline=None, database=None,
        suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
        verbosity=Verbosity.quiet, phases=(Phase.explicit, Phase.generate, Phase.shrink))


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Silence warnings while the suite feeds an assignor garbage on purpose."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


@contextmanager
def shrink_budget(seconds: float) -> Iterator[None]:
    """Stop shrinking a failure after ``seconds`` (hypothesis' own limit is five minutes),
    through hypothesis' engine constant ``MAX_SHRINKING_SECONDS``; warns if it is gone."""
    from hypothesis.internal.conjecture import engine

    previous = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    if previous is None:
        warnings.warn("this hypothesis version has no MAX_SHRINKING_SECONDS; failures may take "
                      "minutes to shrink", RuntimeWarning, stacklevel=3)
        yield
        return
    engine.MAX_SHRINKING_SECONDS = seconds  # type: ignore[assignment]
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = previous


def profile_named(name: str | Profile) -> Profile:
    if isinstance(name, Profile):
        return name
    if name not in PROFILES:
        raise TargetError(f"unknown profile {name!r}; known: {', '.join(PROFILES)}")
    return PROFILES[name]


def run_property(prop: ap.Property, subject: Any, profile: Profile, seed: int,
                 render: Callable[[ap.Property, Violation], str | None]) -> Result:
    """Run one property; its verdict, figures and, on failure, the shrunk regression case."""
    claimed = prop.claim is not None and subject.claims.get(prop.claim) not in (None, False)
    verdict = not prop.figure_only and (prop.claim is None or claimed)
    figures = ap.Figures()
    examples = max(1, round(profile.examples * prop.weight))

    @hypothesis_seed(seed)
    @settings(settings.get_profile("kpart-quick"), max_examples=examples)
    @given(prop.inputs(subject))
    def run(x: Any) -> None:
        prop.check(subject, x, figures, verdict)

    start = time.perf_counter()
    try:
        with quiet_logs(), shrink_budget(profile.shrink_seconds), warnings.catch_warnings():
            warnings.simplefilter("ignore", HypothesisWarning)
            run()
    except Violation as v:
        if not verdict:
            return Result(prop.name, prop.guarantee, FIGURE, f"not measured: {v}",
                          seconds=time.perf_counter() - start)
        return Result(prop.name, prop.guarantee, FAIL, str(v), figures.summary(), render(prop, v),
                      time.perf_counter() - start)
    except Exception as exc:  # the kit could not run the property; never hidden as a pass
        return Result(prop.name, prop.guarantee, ERROR, f"{type(exc).__name__}: {exc}",
                      figures.summary(), seconds=time.perf_counter() - start)
    return Result(prop.name, prop.guarantee, PASS if verdict else FIGURE, "", figures.summary(),
                  seconds=time.perf_counter() - start)


def speed(subject: Subject, sizes: tuple[int, ...], budget: float = 60.0) -> Result:
    """Seconds for a first rebalance of M members over 10 topics of M partitions each, and for
    the rebalance after one member leaves. A larger size is skipped when the last one, scaled
    by the square of the size ratio, would exceed ``budget`` seconds."""
    figures: dict[str, Any] = {}
    start = time.perf_counter()
    last: tuple[int, float] | None = None
    for m in sizes:
        if last is not None and last[1] * (m / last[0]) ** 2 > budget:
            figures[f"{m} members"] = f"skipped ({last[0]} members took {last[1]:.2f} s)"
            break
        cluster = ClusterMetadata({f"topic-{i}": m for i in range(10)})
        topics = frozenset(cluster.partition_counts)
        members = {f"consumer-{i:05d}": MemberSubscription(f"consumer-{i:05d}", topics) for i in range(m)}
        try:
            t0 = time.perf_counter()
            first = rebalance(subject, joined(subject, cluster, members, {}, 0), ap.LOOP)[-1]
            t1 = time.perf_counter()
            members.pop(min(members))
            rebalance(subject, joined(subject, cluster, members, first.assignment.owned, 1), ap.LOOP)
            t2 = time.perf_counter()
        except Violation as v:
            figures[f"{m} members"] = f"not measured: {v}"
            break
        figures[f"{m} members"] = f"{t1 - t0:.3f} s first, {t2 - t1:.3f} s after a leave"
        last = (m, t2 - t0)
    return Result("speed_envelope", "seconds per rebalance at 100 and 1,000 members (10 partitions "
                  "per member; a figure)", FIGURE, "", figures, seconds=time.perf_counter() - start)


def _protocol(assignor: Assignor, protocol: str | RebalanceProtocol | None, label: str) -> RebalanceProtocol:
    if protocol is None:
        return assignor.protocols[0]
    if isinstance(protocol, str):
        try:
            protocol = RebalanceProtocol[protocol.upper()]
        except KeyError:
            raise TargetError(f"unknown protocol {protocol!r}; use eager or cooperative") from None
    if protocol not in assignor.protocols:
        raise TargetError(f"{label} does not support the {protocol.name} protocol "
                          f"(it supports {', '.join(p.name for p in assignor.protocols)})")
    return protocol


def assignor_subject(target: Any, protocol: str | RebalanceProtocol | None = None,
                     claims: Mapping[str, object] | None = None, max_members: int = 12) -> Subject:
    """The :class:`Subject` for ``target``: an assignor class or instance, ours or
    kafka-python's, or a ``MODULE:OBJECT`` string naming one."""
    spec = target if isinstance(target, str) else None
    obj = load_object(target) if isinstance(target, str) else target
    label = spec or getattr(obj, "__name__", type(obj).__name__)
    found = as_assignor(obj, label)
    if found is None:
        raise TargetError(f"{label}: not an assignor (a strategies.Assignor or a kafka-python "
                          f"AbstractPartitionAssignor)")
    assignor, factory = found
    if max_members < 1:
        raise TargetError(f"max_members must be >= 1, got {max_members}")
    return Subject(assignor, _protocol(assignor, protocol, label),
                   claims_of(assignor, claims or {}, ASSIGNOR_CLAIMS, label), factory, spec,
                   max_members)


def _chosen(props: list[ap.Property], names: Collection[str] | None,
            *extra: str) -> list[ap.Property]:
    if names is None:
        return props
    known = [p.name for p in props] + list(extra)
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise TargetError(f"unknown property {unknown[0]!r}; known: {', '.join(known)}")
    return [p for p in props if p.name in names]


def _target_source(subject: Subject) -> str:
    """How the regression case names the assignor: its ``MODULE:OBJECT`` when known."""
    if subject.target is not None:
        return repr(subject.target)
    cls = type(getattr(subject.assignor, "inner", subject.assignor))
    if cls.__module__ == "__main__" or cls.__module__.startswith("kpart_check_"):
        return f"{cls.__qualname__}()"
    return repr(f"{cls.__module__}:{cls.__qualname__}")


def check_assignor(target: Any, protocol: str | RebalanceProtocol | None = None, *,
                   claims: Mapping[str, object] | None = None, max_members: int = 12,
                   profile: str | Profile = "quick", seed: int | None = None,
                   properties: Collection[str] | None = None,
                   raise_on_failure: bool = True) -> Report:
    """Run the assignor conformance suite on ``target`` (only ``properties``, when given, by
    name); the :class:`Report`.

    Raises :class:`ConformanceError` (an ``AssertionError``) listing the failures and their
    regression cases when any property fails, unless ``raise_on_failure`` is false.
    """
    prof = profile_named(profile)
    subject = assignor_subject(target, protocol, claims, max_members)
    seed = random.randrange(2**32) if seed is None else seed
    name = subject.target or getattr(subject.assignor, "name", type(subject.assignor).__name__)
    report = Report(str(name), "assignor", prof.name, seed, settings={
        "protocol": subject.protocol.name.lower(), "max members": max_members,
        "claims": dict(subject.claims) or "none"})

    def render(prop: ap.Property, v: Violation) -> str | None:
        if not isinstance(v.case, Case):
            return None
        return regression_test(prop.name, str(v), v.case, v.assignment, _target_source(subject),
                               subject.protocol.name.lower(), subject.claims)

    start = time.perf_counter()
    chosen = _chosen(ap.properties(prof.churn_steps), properties, "speed_envelope")
    for prop in chosen:
        if prop.applies(subject):
            report.results.append(run_property(prop, subject, prof, seed, render))
    if properties is None or "speed_envelope" in properties:
        with quiet_logs():
            report.results.append(speed(subject, prof.speed_members))
    report.seconds = time.perf_counter() - start
    if raise_on_failure and not report.ok:
        raise ConformanceError(report)
    return report


def partitioner_subject(target: Any, claims: Mapping[str, object] | None = None,
                        reference: str | None = None) -> pp.PartitionerSubject:
    """The subject for ``target``: a partitioner class, instance or factory, ours or
    kafka-python's, or a ``MODULE:OBJECT`` string naming one."""
    spec = target if isinstance(target, str) else None
    obj = load_object(target) if isinstance(target, str) else target
    label = spec or getattr(obj, "__name__", type(obj).__name__)
    found = as_partitioner(obj, label)
    if found is None:
        raise TargetError(f"{label}: neither an assignor nor a partitioner (an object with "
                          f"partition(key, value, view), or a kafka-python Partitioner)")
    if reference is not None:
        try:
            pp._reference_mapping(reference)
        except ValueError as exc:
            raise TargetError(f"--reference: {exc}") from None
    partitioner, factory = found
    checked = claims_of(partitioner, claims or {}, PARTITIONER_CLAIMS, label)
    subject = pp.PartitionerSubject(partitioner, {"uniform": True, **checked}, factory, spec, reference)
    pp.classify(subject)
    return subject


def check_partitioner(target: Any, *, claims: Mapping[str, object] | None = None,
                      reference: str | None = None, profile: str | Profile = "quick",
                      seed: int | None = None,
                      properties: Collection[str] | None = None,
                      raise_on_failure: bool = True) -> Report:
    """Run the partitioner conformance suite on ``target``; the :class:`Report`.

    ``reference`` (``murmur2``, ``fnv1a``, ``consistent``) adds agreement with that mapping on
    the clients' own test vectors. Raises :class:`ConformanceError` on any failure unless
    ``raise_on_failure`` is false.
    """
    prof = profile_named(profile)
    subject = partitioner_subject(target, claims, reference)
    seed = random.randrange(2**32) if seed is None else seed
    name = subject.target or type(getattr(subject.partitioner, "inner", subject.partitioner)).__name__
    report = Report(str(name), "partitioner", prof.name, seed, settings={
        "classified": "; ".join(subject.notes), "reference": reference or "none"})
    start = time.perf_counter()
    for prop in _chosen(pp.properties(subject), properties, "keyless_spread_and_speed"):
        if prop.applies(subject):
            report.results.append(run_property(prop, subject, prof, seed, lambda p, v: None))
        else:
            report.results.append(Result(prop.name, prop.guarantee, NOT_APPLICABLE,
                                         "; ".join(subject.notes)))
    if properties is None or "keyless_spread_and_speed" in properties:
        try:
            figures = pp.keyless_spread(subject)
        except Exception as exc:
            figures = {"not measured": f"{type(exc).__name__}: {exc}"}
        report.results.append(Result("keyless_spread_and_speed", "how keyless records spread over "
                                     "16 partitions, and the time per record (a figure)", FIGURE, "",
                                     figures))
    report.seconds = time.perf_counter() - start
    if raise_on_failure and not report.ok:
        raise ConformanceError(report)
    return report


class ConformanceError(AssertionError):
    """Some property failed; ``report`` holds every result."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.table())
        self.report = report


def replay(target: Any, prop: str, case: Case, protocol: str | None = None,
           claims: Mapping[str, object] | None = None) -> None:
    """Check property ``prop`` on one ``case`` (a regression case); raises
    :class:`Violation` while the assignor still breaks it."""
    subject = assignor_subject(target, protocol, claims)
    for p in ap.properties(1):
        if p.name == prop:
            if p.name == "converges_under_long_random_churn":
                ap.settle_and_stay(subject, case)
            else:
                claimed = p.claim is not None and subject.claims.get(p.claim) not in (None, False)
                p.check(subject, case, ap.Figures(), not p.figure_only and (p.claim is None or claimed))
            return
    raise TargetError(f"unknown property {prop!r}")
