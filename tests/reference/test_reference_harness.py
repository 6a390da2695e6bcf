"""The Java reference harness itself: Java's documented outputs, murmur2, and clear refusals."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from kpart.reference import (
    COMPILED,
    REFERENCE_PROJECT,
    SOURCE,
    JavaReference,
    JavaReferenceError,
    ensure_built,
)
from partitioning.hashing import murmur2
from strategies.core import ClusterMetadata, MemberSubscription, TopicPartition

pytestmark = pytest.mark.integration

TWO_BY_THREE = ClusterMetadata({"t0": 3, "t1": 3})
C0_C1 = {m: MemberSubscription(m, frozenset({"t0", "t1"})) for m in ("C0", "C1")}


def tps(*names: str) -> tuple[TopicPartition, ...]:
    return tuple(sorted(TopicPartition(n[:2], int(n[3:])) for n in names))


def test_java_range_gives_its_documented_example(java: JavaReference) -> None:
    out = java.assign("range", C0_C1, TWO_BY_THREE)
    assert out.owned == {"C0": tps("t0p0", "t0p1", "t1p0", "t1p1"), "C1": tps("t0p2", "t1p2")}


def test_java_roundrobin_gives_its_documented_example(java: JavaReference) -> None:
    out = java.assign("roundrobin", C0_C1, TWO_BY_THREE)
    assert out.owned == {"C0": tps("t0p0", "t0p2", "t1p1"), "C1": tps("t0p1", "t1p0", "t1p2")}


def test_java_sticky_reads_the_previous_assignment_from_user_data(java: JavaReference) -> None:
    owned = tps("t0p0", "t0p1", "t0p2", "t1p0")
    group = {
        "A": MemberSubscription("A", frozenset({"t0", "t1"}), owned_partitions=owned, generation=4),
        "B": MemberSubscription("B", frozenset({"t0", "t1"})),
    }
    out = java.assign("sticky", group, TWO_BY_THREE)
    assert len(out.owned["A"]) == 3 and set(out.owned["A"]) <= set(owned)


def test_java_sticky_ignores_owned_partitions_without_a_generation(java: JavaReference) -> None:
    # A member that never had an assignment sends no user data, so its owned list is not read.
    group = {
        "A": MemberSubscription("A", frozenset({"t0"}), owned_partitions=tps("t0p2")),
        "B": MemberSubscription("B", frozenset({"t0"})),
    }
    out = java.assign("sticky", group, ClusterMetadata({"t0": 2}))
    assert out.owned == {"A": tps("t0p0"), "B": tps("t0p1")}


def test_java_cooperative_sticky_withholds_a_moving_partition(java: JavaReference) -> None:
    group = {
        "A": MemberSubscription("A", frozenset({"t0"}), owned_partitions=tps("t0p0", "t0p1"), generation=2),
        "B": MemberSubscription("B", frozenset({"t0"})),
    }
    out = java.assign("cooperative-sticky", group, ClusterMetadata({"t0": 2}))
    assert len(out.owned["A"]) == 1 and out.owned["B"] == ()


def test_broker_range_deals_static_members_first(java: JavaReference) -> None:
    group = {
        "a": MemberSubscription("a", frozenset({"t0"})),
        "z": MemberSubscription("z", frozenset({"t0"}), group_instance_id="i1"),
    }
    out = java.assign("kip848-range", group, ClusterMetadata({"t0": 3}))
    assert out.owned == {"z": tps("t0p0", "t0p1"), "a": tps("t0p2")}


def test_murmur2_equals_javas_on_random_keys(java: JavaReference) -> None:
    rng = random.Random(848)
    keys = [b"", b"21", b"foobar"] + [rng.randbytes(rng.randrange(0, 40)) for _ in range(5000)]
    java_hashes = java.murmur2(keys)
    ours = [h - (1 << 32) if h >= 1 << 31 else h for h in map(murmur2, keys)]
    assert java_hashes[:3] == [275646681, -973932308, -790332482]
    mismatches = [k.hex() for k, a, b in zip(keys, ours, java_hashes, strict=True) if a != b]
    assert mismatches == []


def test_timing_has_one_duration_per_timed_call(java: JavaReference) -> None:
    answer = java.run("uniform", C0_C1, TWO_BY_THREE, repeat=4, warmup=2)
    assert len(answer.nanoseconds) == 4 and all(ns > 0 for ns in answer.nanoseconds)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"assignor": "nope", "topics": [], "members": []}, "unknown assignor 'nope'"),
        ({"assignor": "range", "members": []}, "missing list field 'topics'"),
        ({"assignor": "range", "topics": [{"name": "t", "partitions": -1}], "members": []}, "topic 't'"),
        (
            {"assignor": "range", "topics": [], "members": [{"id": "m", "topics": [], "owned": [["t"]]}]},
            "member 'm'",
        ),
    ],
)
def test_a_bad_request_gets_one_clear_line_and_the_jvm_goes_on(
    java: JavaReference, payload: dict[str, object], message: str
) -> None:
    with pytest.raises(JavaReferenceError, match=message) as info:
        java.request(payload)
    assert "\n" not in str(info.value)
    assert java.murmur2([b"21"]) == [-973932308]


def test_an_unknown_name_is_refused_before_reaching_java(java: JavaReference) -> None:
    with pytest.raises(JavaReferenceError, match="unknown reference assignor 'nope'"):
        java.assign("nope", C0_C1, TWO_BY_THREE)


def test_a_missing_java_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", "/nonexistent-jdk")
    with pytest.raises(JavaReferenceError, match="Java not found"):
        JavaReference().start()


def test_a_missing_maven_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = tmp_path / SOURCE.relative_to(REFERENCE_PROJECT)
    source.parent.mkdir(parents=True)
    source.write_text("class ReferenceAssignors {}")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(JavaReferenceError, match=r"^Maven \(mvn\) not found"):
        ensure_built(tmp_path)


def test_repeated_timed_calls_see_the_same_inputs(java: JavaReference) -> None:
    # Java's sticky consumes each member's user data buffer: every timed call gets fresh ones.
    cluster = ClusterMetadata({"t0": 6})
    owned = {"A": tps("t0p0", "t0p1", "t0p2"), "B": tps("t0p3", "t0p4", "t0p5")}
    group = {m: MemberSubscription(m, frozenset({"t0"}), owned_partitions=o, generation=3)
             for m, o in owned.items()}
    group["C"] = MemberSubscription("C", frozenset({"t0"}))
    once = java.run("sticky", group, cluster)
    again = java.run("sticky", group, cluster, warmup=2, repeat=3)
    assert again.assignment == once.assignment
    assert all(len(set(once.assignment.owned[m]) & set(owned[m])) == 2 for m in owned)


def _project(tmp_path: Path, compiled_age: float) -> Path:
    """A harness project whose class file is ``compiled_age`` seconds older than its source."""
    source = tmp_path / SOURCE.relative_to(REFERENCE_PROJECT)
    compiled = tmp_path / COMPILED.relative_to(REFERENCE_PROJECT)
    for path in (source, compiled, tmp_path / "lib" / "kafka-group-coordinator-4.1.1.jar"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    now = time.time()
    os.utime(source, (now, now))
    os.utime(compiled, (now - compiled_age, now - compiled_age))
    return tmp_path


def test_an_up_to_date_build_is_not_rebuilt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[object] = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    classpath = ensure_built(_project(tmp_path, compiled_age=-5))
    assert classpath == f"{tmp_path}/target/classes:{tmp_path}/lib/*"
    assert calls == []


def test_a_changed_java_source_is_rebuilt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 1, "", "[ERROR] COMPILATION ERROR")

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(JavaReferenceError, match="building the Java reference failed: .*COMPILATION ERROR"):
        ensure_built(_project(tmp_path, compiled_age=60))
    assert len(calls) == 1 and "compile" in calls[0] and "dependency:copy-dependencies" in calls[0]


def test_a_changed_second_source_of_the_harness_is_rebuilt(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[list[str]] = []

    def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 1, "", "[ERROR] COMPILATION ERROR")

    project = _project(tmp_path, compiled_age=-5)  # ReferenceAssignors is up to date
    (source := project / SOURCE.relative_to(REFERENCE_PROJECT).with_name("SoakConsumer.java")).write_text("")
    compiled = project / COMPILED.relative_to(REFERENCE_PROJECT).with_name("SoakConsumer.class")
    compiled.write_text("")
    os.utime(compiled, (source.stat().st_mtime - 60, source.stat().st_mtime - 60))
    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(JavaReferenceError, match="building the Java reference failed"):
        ensure_built(project)
    assert len(calls) == 1
