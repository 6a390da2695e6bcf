"""The compiled core of the identical-subscription path and its pure-Python twin agree exactly.

Both are run on the same random groups (identical and mixed subscriptions, previous owners
sent as owned partitions or as user data, several generations, contested and stale claims,
static members) through the public assignors, and directly on random inputs; a process without
the extension shows that the fallback is what runs then, with the same answer.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies.codec as codec
import strategies.core as core
import strategies.identical as identical
from strategies import ClusterMetadata, GroupAssignment, MemberSubscription, TopicPartition, get_assignor
from strategies.core import GroupSubscription

ROOT = Path(__file__).resolve().parents[2]


def test_compiled_core_is_built() -> None:
    assert identical.COMPILED, "strategies._stickyext missing: reinstall with pip install -e ."


@contextmanager
def pure_python() -> Iterator[None]:
    """Inside: the fallback everywhere the compiled core would run."""
    saved = identical._stickyext, core._build, core._join, codec._read_assignment
    identical._stickyext = None
    core._build, core._join = core._build_pure, core._join_pure
    codec._read_assignment = codec._read_assignment_pure
    try:
        yield
    finally:
        identical._stickyext, core._build, core._join, codec._read_assignment = saved


@st.composite
def groups(draw: st.DrawFn) -> tuple[dict[str, MemberSubscription], dict[str, int]]:
    """A group whose members claim partitions: some contested, some gone, some unsubscribed."""
    topics = [f"t{i}" for i in range(draw(st.integers(1, 5)))]
    counts = {t: draw(st.integers(0, 30)) for t in topics}
    same = draw(st.booleans())
    claimable = [TopicPartition(t, p) for t in topics for p in range(counts[t] + 2)]
    group: dict[str, MemberSubscription] = {}
    for i in range(draw(st.integers(1, 12))):
        member = f"m{draw(st.integers(0, 99)):02d}-{i}"
        subs = frozenset(topics) if same else frozenset(
            draw(st.lists(st.sampled_from(topics), min_size=1, unique=True)))
        group[member] = MemberSubscription(
            member, subs,
            owned_partitions=tuple(draw(st.lists(st.sampled_from(claimable), max_size=12, unique=True))),
            generation=draw(st.integers(-1, 3)),
            group_instance_id=f"i{99 - i}" if draw(st.booleans()) else None)
    return group, counts


def both(name: str, group: GroupSubscription, counts: dict[str, int]
         ) -> tuple[GroupAssignment, GroupAssignment]:
    """The assignment with the compiled core and with the fallback, each on fresh metadata."""
    compiled = get_assignor(name).assign(group, ClusterMetadata(counts))
    with pure_python():
        fallback = get_assignor(name).assign(group, ClusterMetadata(counts))
    return compiled, fallback


@pytest.mark.parametrize("name", ["sticky", "cooperative-sticky"])
@settings(max_examples=150, deadline=None)
@given(drawn=groups())
def test_compiled_and_fallback_assign_the_same(name: str, drawn: tuple) -> None:
    group, counts = drawn
    compiled, fallback = both(name, group, counts)
    assert compiled == fallback
    # the next rebalance, as the members send it (sticky: in user data), one member gone
    assignor = get_assignor(name)
    again = {m: MemberSubscription(m, s.topics, owned_partitions=compiled.owned[m], generation=4,
                                   user_data=assignor.encode_user_data(compiled.owned[m], 4),
                                   group_instance_id=s.group_instance_id)
             for m, s in list(group.items())[1:]}
    compiled2, fallback2 = both(name, again, counts)
    assert compiled2 == fallback2


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_compiled_and_fallback_cores_agree_on_any_claims(data: st.DataObject) -> None:
    counts = data.draw(st.lists(st.integers(0, 40), min_size=1, max_size=4))
    topics = [f"t{i}" for i in range(len(counts))]
    cluster = ClusterMetadata(dict(zip(topics, counts, strict=True)))
    flat = cluster.flat_partitions(tuple(topics))
    base = {t: sum(counts[:i]) for i, t in enumerate(topics)}
    members = tuple(f"m{i}" for i in range(data.draw(st.integers(1, 15))))
    owner = data.draw(st.lists(st.integers(-1, len(members) - 1), min_size=len(flat), max_size=len(flat)))
    kept = [sorted(tp for tp, o in zip(flat, owner, strict=True) if o == j) for j in range(len(members))]
    assert identical._stickyext is not None
    compiled = identical._stickyext.assign(flat, members, kept, base)
    assert compiled == identical.assign(flat, members, kept, base)
    # and it is a balanced partition of everything
    sizes = [len(compiled[m]) for m in members]
    assert max(sizes) - min(sizes) <= 1
    assert sorted(tp for m in members for tp in compiled[m]) == list(flat)


def test_metadata_builds_the_same_partitions_either_way() -> None:
    counts = {"a": 3, "b": 0, "c": 700}
    compiled = ClusterMetadata(counts)
    with pure_python():
        fallback = ClusterMetadata(counts)
        assert fallback.flat_partitions(("c", "b", "a")) == compiled.flat_partitions(("c", "b", "a"))
        assert [fallback.partitions_of(t) for t in counts] == [compiled.partitions_of(t) for t in counts]
    assert all(type(tp) is TopicPartition for tp in compiled.flat_partitions(("a", "c")))


def test_metadata_reuses_its_partition_objects() -> None:
    cluster = ClusterMetadata({"a": 5, "b": 3})
    assert cluster.partitions_of("a") is cluster.partitions_of("a")
    assert cluster.partitions_of("zz") == ()
    group = {m: MemberSubscription(m, frozenset({"a", "b"})) for m in ("x", "y")}
    first = get_assignor("sticky").assign(group, cluster)
    second = get_assignor("sticky").assign(group, cluster)
    assert all(p is q for m in group for p, q in zip(first.owned[m], second.owned[m], strict=True))
    assert cluster == ClusterMetadata({"a": 5, "b": 3})  # the cache takes no part in equality


def test_uncollected_partitions_are_freed_when_dropped() -> None:
    """The compiled core keeps its objects out of the cycle collector; refcounting frees them."""
    import weakref

    cluster = ClusterMetadata({"a": 4})
    probe = weakref.ref(cluster)
    parts = cluster.partitions_of("a")
    assert not gc.is_tracked(parts[0]) and not gc.is_tracked(parts)
    del cluster
    assert probe() is None
    assert parts[3] == ("a", 3)


def read_either(read, data: bytes) -> object:
    try:
        return codec.decode_sticky(data) if read is None else read(data)
    except codec.UserDataError:
        return "UserDataError"
    except (ValueError, Exception):  # noqa: BLE001 - the readers' own errors, compared by kind
        return "error"


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.tuples(st.sampled_from(["a", "b\u00e9", "", "t" * 40]),
                                st.integers(-(2**31), 2**31 - 1)), max_size=10),
       generation=st.integers(-1, 2**31 - 1),
       damage=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=3),
       cut=st.integers(0, 400) | st.none())
def test_compiled_and_fallback_read_the_same_user_data(parts: list, generation: int,
                                                       damage: list, cut: int | None) -> None:
    data = bytearray(codec.encode_sticky([TopicPartition(t, p) for t, p in parts], generation))
    for at, byte in damage:
        if data:
            data[at % len(data)] = byte
    raw = bytes(data if cut is None else data[:cut])
    assert codec._read_assignment is not codec._read_assignment_pure
    compiled = read_either(codec._read_assignment, raw)
    assert compiled == read_either(codec._read_assignment_pure, raw)
    whole = read_either(None, raw)
    with pure_python():
        assert read_either(None, raw) == whole


SCRIPT = """
import json, sys
sys.modules["strategies._stickyext"] = None  # as if built without a compiler
import strategies.core as core, strategies.identical as identical
from strategies import ClusterMetadata, MemberSubscription, get_assignor
assert not identical.COMPILED and core._build is core._build_pure and core._join is core._join_pure
import strategies.codec as codec
assert codec._read_assignment is codec._read_assignment_pure
cluster = ClusterMetadata({"a": 7, "b": 5})
group = {f"m{i}": MemberSubscription(f"m{i}", frozenset({"a", "b"})) for i in range(5)}
print(json.dumps({m: [list(tp) for tp in tps] for m, tps in
                  get_assignor("sticky").assign(group, cluster).owned.items()}))
"""


def test_without_the_extension_the_fallback_runs_and_agrees() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    cluster = ClusterMetadata({"a": 7, "b": 5})
    group = {f"m{i}": MemberSubscription(f"m{i}", frozenset({"a", "b"})) for i in range(5)}
    here = get_assignor("sticky").assign(group, cluster)
    assert json.loads(out) == {m: [list(tp) for tp in tps] for m, tps in here.owned.items()}
