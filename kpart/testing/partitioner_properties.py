"""The partitioner properties, each named after the guarantee it checks.

Before the properties run, the partitioner is *classified* by probing it: **keyed** when the
same key always gets the same partition in this process (then its mapping must also be the
same in a fresh instance, in another process, whatever the availability, and spread keys
uniformly unless it claims ``uniform=False``); **null keys hashed** when a null key's
partition ignores availability (librdkafka's ``consistent``), which exempts it from the
keyless availability rule. The keyed properties use non-empty keys: librdkafka's ``*_random``
partitioners treat an empty key as a null one, by design.
"""

from __future__ import annotations

import base64
import json
import math
import os
import pickle
import random
import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from kpart.testing.assignment_checks import Violation
from kpart.testing.assignor_properties import Figures, Property
from partitioning.core import NewBatchAware, PartitionView

CHI_SQUARE_Z = 4.75
"""One-sided normal quantile of the uniformity test: a false failure has probability 1e-6."""

HUGE_KEY = 1024 * 1024


@dataclass
class PartitionerSubject:
    """The partitioner under test: the instance, a factory of fresh ones, its claims, how to
    name it in another process (``target``) and the reference mapping it must agree with."""

    partitioner: Any
    claims: Mapping[str, object]
    factory: Callable[[], Any] | None = None
    target: str | None = None
    reference: str | None = None
    keyed: bool = False
    null_hashed: bool = False
    notes: list[str] = field(default_factory=list)

    def fresh(self) -> Any:
        return self.factory() if self.factory is not None else self.partitioner


def route(partitioner: Any, key: bytes | None, value: bytes | None, view: PartitionView) -> int:
    """``partitioner.partition``; an exception or a result outside the topic is a Violation."""
    try:
        got = partitioner.partition(key, value, view)
    except Exception as exc:
        raise Violation(f"partition({_short(key)}, ...) on {view.count} partitions raised "
                        f"{type(exc).__name__}: {exc}") from exc
    if isinstance(got, bool) or not isinstance(got, int) or got not in view.all:
        raise Violation(f"partition({_short(key)}, ...) returned {got!r}, not one of the topic's "
                        f"{view.count} partitions")
    return got


def _short(key: bytes | None) -> str:
    if key is None:
        return "None"
    return repr(key) if len(key) <= 16 else f"<{len(key)}-byte key>"


def classify(subject: PartitionerSubject) -> None:
    """Set ``keyed`` and ``null_hashed`` by probing the partitioner."""
    rng = random.Random(7)
    view = PartitionView("probe", range(16))
    keys = [rng.randbytes(rng.randint(1, 24)) for _ in range(31)]
    p = subject.partitioner
    try:
        # Keyed: the same keys in another order get the same partitions, and not all one.
        first = [p.partition(k, b"v", view) for k in keys]
        again = [p.partition(k, b"v", view) for k in reversed(keys)][::-1]
        subject.keyed = first == again and len(set(first)) > 1
        home = p.partition(None, b"v", view)
        elsewhere = PartitionView("probe", range(16), available=[q for q in range(16) if q != home])
        subject.null_hashed = all(p.partition(None, b"v", elsewhere) == home for _ in range(8))
    except Exception as exc:  # reported by the properties themselves
        subject.notes.append(f"probe raised {type(exc).__name__}: {exc}")
    subject.notes.append("keyed (same key, same partition)" if subject.keyed
                         else "not keyed (keys spread at random, in turn or sticky)")
    if subject.null_hashed:
        subject.notes.append("null keys hashed like keys")


@st.composite
def views(draw: st.DrawFn) -> PartitionView:
    """A topic with 1..300 partitions, any subset of them available (possibly none)."""
    n = draw(st.integers(1, 300))
    if draw(st.booleans()):
        return PartitionView("topic", range(n))
    available = draw(st.sets(st.integers(0, n - 1), max_size=min(n, 40)))
    return PartitionView("topic", range(n), available=sorted(available))


keys = st.one_of(st.none(), st.binary(max_size=64))
records = st.lists(st.tuples(keys, st.one_of(st.none(), st.binary(max_size=64)), st.booleans()),
                   min_size=1, max_size=30)


def _flow(p: Any, view: PartitionView, recs: list[tuple[bytes | None, bytes | None, bool]],
          check: Callable[[bytes | None, int], None]) -> None:
    """Route ``recs`` as kafka-python does: route, maybe signal a new batch, route again."""
    hook = p.on_new_batch if isinstance(p, NewBatchAware) else None
    for key, value, new_batch in recs:
        got = route(p, key, value, view)
        check(key, got)
        if new_batch and hook is not None and key is None:
            try:
                hook(view, got)
            except Exception as exc:
                raise Violation(f"on_new_batch raised {type(exc).__name__}: {exc}") from exc
            check(key, route(p, key, value, view))


def _in_range(subject: PartitionerSubject, x: Any, figures: Figures, verdict: bool) -> None:
    view, recs = x
    _flow(subject.fresh(), view, recs, lambda key, got: None)


def _edge_keys(subject: PartitionerSubject, x: Any, figures: Figures, verdict: bool) -> None:
    n, key = x
    route(subject.fresh(), key, b"v", PartitionView("topic", range(n)))


def _keyless_available(subject: PartitionerSubject, x: Any, figures: Figures, verdict: bool) -> None:
    view, recs = x
    if not view.available:
        return

    def check(key: bytes | None, got: int) -> None:
        if key is None and got not in view.available:
            raise Violation(f"a keyless record went to partition {got}, whose leader is unknown "
                            f"(available: {list(view.available)[:8]})")

    _flow(subject.fresh(), view, [(None, v, nb) for _, v, nb in recs], check)


def _deterministic(subject: PartitionerSubject, x: Any, figures: Figures, verdict: bool) -> None:
    key, n = x
    view = PartitionView("topic", range(n))
    a = route(subject.partitioner, key, b"a", view)
    b = route(subject.fresh(), key, b"a", view)
    if a != b:
        raise Violation(f"key {_short(key)} went to {a}, and to {b} in a fresh instance")


def _ignores_availability(subject: PartitionerSubject, x: Any, figures: Figures, verdict: bool) -> None:
    key, view = x
    full = route(subject.partitioner, key, b"a", PartitionView("topic", view.all))
    now = route(subject.partitioner, key, b"a", view)
    if full != now:
        raise Violation(f"key {_short(key)} went to {full} with every leader known and to {now} "
                        f"with {len(view.available)} of {view.count} available")


def chi_square_critical(dof: int, z: float = CHI_SQUARE_Z) -> float:
    """Wilson-Hilferty upper quantile of chi-square(``dof``) at normal quantile ``z``."""
    return dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3


def _uniform(subject: PartitionerSubject, x: Any, figures: Figures, verdict: bool) -> None:
    seed, n = x
    rng = random.Random(seed)
    per = 200
    view = PartitionView("topic", range(n))
    p = subject.partitioner
    counts = Counter(route(p, rng.randbytes(rng.randint(1, 32)), None, view) for _ in range(n * per))
    stat = sum((counts[i] - per) ** 2 / per for i in range(n))
    limit = chi_square_critical(n - 1)
    figures.largest("largest chi-square / critical", round(stat / limit, 3))
    if verdict and stat >= limit:
        raise Violation(f"{n * per} random keys on {n} partitions: chi-square {stat:.1f} >= "
                        f"{limit:.1f} (p < 1e-6 against uniform)")


# Reference vectors from the clients themselves: Java's Utils.murmur2 (UtilsTest and kafkajs'
# vectors generated from Java), librdkafka's rdmurmur2.c / rdfnv1a.c unit tests.
MURMUR2_SIGNED = {
    b"21": -973932308, b"foobar": -790332482, b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971, b"abc": 479470107,
    b"0": 971027396, b"1": -1993445489, b"128": -326012175, b"2187": -1508407203,
    b"16384": -325739742, b"78125": -1654490814, b"279936": 1462227128, b"823543": -2014198330,
    b"2097152": 607668903, b"4782969": -1182699775, b"10000000": -1830336757,
    b"100:48069": 1009543857,
    b"kafka": 0xD067CF64 - 2**32, b"giberish123456789": 0x8F552B0C - 2**32,
    b"1234": 0x9FC97B14 - 2**32, b"234": 0xE7C009CA - 2**32, b"34": 0x873930DA - 2**32,
    b"4": 0x5A4B5CA1, b"": 0x106E08D9,
}
FNV1A_ABS = {b"kafka": 0x0D33C4E1, b"giberish123456789": 0x77A58295, b"1234": 0x023BDD03,
             b"234": 0x2DEA3CD2, b"34": 0x740FA83E, b"4": 0x310CA263, b"": 0x7EE3623B}
VECTOR_COUNTS = (1, 2, 3, 6, 7, 100, 1000)


def _reference_mapping(name: str) -> tuple[dict[bytes, int], Callable[[bytes], int] | None]:
    """Vectors (key -> non-negative hash) and a function extending them to random keys."""
    from partitioning import hashing

    if name in ("murmur2", "murmur2_random", "java"):
        return ({k: v & 0x7FFFFFFF for k, v in MURMUR2_SIGNED.items()},
                lambda k: hashing.to_positive(hashing.murmur2_pure(k)))
    if name in ("fnv1a", "fnv1a_random"):
        return dict(FNV1A_ABS), lambda k: hashing.abs_int32(hashing.fnv1a_pure(k))
    if name in ("consistent", "consistent_random", "crc32"):
        return {k: zlib.crc32(k) for k in FNV1A_ABS}, zlib.crc32
    raise ValueError(f"unknown reference {name!r}; known: murmur2, fnv1a, consistent")


def _reference(subject: PartitionerSubject, x: Any, figures: Figures, verdict: bool) -> None:
    vectors, extend = _reference_mapping(subject.reference or "")
    cases = [(k, h, n) for k, h in vectors.items() for n in VECTOR_COUNTS]
    rng = random.Random(x)
    if extend is not None:
        for _ in range(200):
            k = rng.randbytes(rng.randint(1, 40))
            cases.append((k, extend(k), rng.choice(VECTOR_COUNTS)))
    for key, h, n in cases:
        if subject.reference in ("murmur2_random", "fnv1a_random", "consistent_random") and not key:
            continue
        got = route(subject.partitioner, key, b"v", PartitionView("topic", range(n)))
        if got != h % n:
            raise Violation(f"key {_short(key)} on {n} partitions: {subject.reference} puts it on "
                            f"{h % n}, the partitioner on {got}")


def _child_payload(subject: PartitionerSubject) -> dict[str, Any]:
    if subject.target is not None:
        return {"target": subject.target}
    try:
        return {"pickle": base64.b64encode(pickle.dumps(subject.partitioner)).decode()}
    except Exception as exc:
        raise Violation(f"cannot recreate the partitioner in another process (name it as "
                        f"MODULE:OBJECT instead): {exc}") from exc


def child_main() -> None:
    """Entry of the subprocess: route the keys it reads on stdin, print the partitions."""
    from kpart.testing.targets import as_partitioner, load_object

    job = json.loads(sys.stdin.read())
    if "target" in job:
        found = as_partitioner(load_object(job["target"]), job["target"])
        p = found[0] if found else None
    else:
        p = pickle.loads(base64.b64decode(job["pickle"]))
    out = [p.partition(bytes.fromhex(k), b"a", PartitionView("topic", range(n)))
           for k, n in job["keys"]]
    print(json.dumps(out))


def _other_process(subject: PartitionerSubject, x: Any, figures: Figures, verdict: bool) -> None:
    rng = random.Random(x)
    jobs = [(rng.randbytes(rng.randint(1, 32)), rng.choice((2, 7, 64, 1000))) for _ in range(300)]
    here = [route(subject.partitioner, k, b"a", PartitionView("topic", range(n))) for k, n in jobs]
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"
    env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    payload = dict(_child_payload(subject), keys=[(k.hex(), n) for k, n in jobs])
    proc = subprocess.run([sys.executable, "-c", "from kpart.testing.partitioner_properties import "
                           "child_main; child_main()"], input=json.dumps(payload), text=True,
                          capture_output=True, env=env, timeout=120)
    if proc.returncode != 0:
        raise Violation(f"the partitioner failed in another process: "
                        f"{(proc.stderr.strip().splitlines() or ['?'])[-1]}")
    there = json.loads(proc.stdout)
    for (k, n), a, b in zip(jobs, here, there, strict=True):
        if a != b:
            raise Violation(f"key {_short(k)} on {n} partitions went to {a} here and to {b} in a "
                            f"process with PYTHONHASHSEED={seed}")


def keyless_spread(subject: PartitionerSubject) -> dict[str, Any]:
    """Figure: how 20,000 keyless records spread over 16 partitions (a new batch every 16)."""
    p, view = subject.fresh(), PartitionView("topic", range(16))
    hook = p.on_new_batch if isinstance(p, NewBatchAware) else None
    counts: Counter[int] = Counter()
    start = time.perf_counter()
    for i in range(20_000):
        got = p.partition(None, b"x" * 100, view)
        counts[got] += 1
        if hook is not None and i % 16 == 15:
            hook(view, got)
    seconds = time.perf_counter() - start
    per = 20_000 / 16
    stat = sum((counts[i] - per) ** 2 / per for i in range(16))
    return {"keyless chi-square (15 dof)": round(stat, 1),
            "keyless busiest / mean": round(max(counts.values()) / per, 3),
            "microseconds per record": round(seconds / 20_000 * 1e6, 2)}


def properties(subject: PartitionerSubject) -> list[Property]:
    """The partitioner properties that concern ``subject``, in report order."""
    keyed: Callable[[Any], bool] = lambda s: s.keyed  # noqa: E731
    edge = [(n, k) for n in (1, 7, 300) for k in (None, b"", b"\xff" * 64, bytes(HUGE_KEY))]
    props = [
        Property("result_is_a_partition_of_the_topic",
                 "every record, keyed or not, goes to one of the topic's partitions (any availability)",
                 lambda s: st.tuples(views(), records), _in_range),
        Property("null_empty_and_huge_keys_are_routed",
                 "null, empty, 64-byte and 1 MiB keys are routed without error",
                 lambda s: st.sampled_from(edge), _edge_keys, weight=0.3),
        Property("keyless_records_go_to_available_partitions",
                 "a record without a key goes to a partition whose leader is known, when there is one",
                 lambda s: st.tuples(views(), records), _keyless_available,
                 applies=lambda s: not s.null_hashed),
        Property("keyed_partition_is_the_same_in_a_fresh_instance",
                 "a key's partition depends on the key and the partition count only",
                 lambda s: st.tuples(st.binary(min_size=1, max_size=64), st.integers(1, 500)),
                 _deterministic,
                 applies=keyed),
        Property("keyed_partition_is_the_same_in_another_process",
                 "a key's partition is the same in a process with another PYTHONHASHSEED",
                 lambda s: st.integers(0, 2**32), _other_process, applies=keyed, weight=0.01),
        Property("keyed_partition_ignores_availability",
                 "a key's partition never depends on which leaders are known",
                 lambda s: st.tuples(st.binary(min_size=1, max_size=64), views()),
                 _ignores_availability,
                 applies=keyed),
        Property("keys_spread_uniformly",
                 f"random keys pass a chi-square test against uniform (z = {CHI_SQUARE_Z}, a false "
                 "failure once in a million; claim uniform=false to make it a figure)",
                 lambda s: st.tuples(st.integers(0, 2**32), st.sampled_from((2, 7, 32, 100))),
                 _uniform, claim="uniform", applies=keyed, weight=0.05),
    ]
    if subject.reference is not None:
        props.append(Property(f"agrees_with_{subject.reference}",
                              f"same partition as {subject.reference} for its reference vectors "
                              "and random keys", lambda s: st.integers(0, 2**32), _reference,
                              weight=0.01))
    return props
