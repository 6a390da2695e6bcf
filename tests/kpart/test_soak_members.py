"""Which client each soak member runs (``--mix``), and librdkafka's generation read from its
group metadata."""

from __future__ import annotations

import struct

import pytest

from kpart.cli import main
from kpart.compat.confluent import ConfluentCompatError, generation_of
from kpart.soak.members import client_for, parse_mix, substitutions

MIX = ("kafka-python", "librdkafka", "java")


def test_members_cycle_through_the_mix() -> None:
    assert [client_for(MIX, i, "range") for i in range(5)] == [
        "kafka-python", "librdkafka", "java", "kafka-python", "librdkafka"]


@pytest.mark.parametrize(
    ("assignor", "clients", "replaced"),
    [
        ("cooperative-sticky", MIX, []),
        ("roundrobin", MIX, []),
        ("sticky", ("kafka-python", "kafka-python", "java"), ["librdkafka"]),
        ("weighted-sticky", ("kafka-python",) * 3, ["java", "librdkafka"]),
    ],
)
def test_a_client_without_the_assignor_is_replaced_by_kafka_python(
    assignor: str, clients: tuple[str, ...], replaced: list[str]
) -> None:
    assert tuple(client_for(MIX, i, assignor) for i in range(3)) == clients
    assert substitutions(MIX, assignor) == replaced


def test_parse_mix_keeps_order_and_repeats() -> None:
    assert parse_mix("java,kafka-python,java") == ("java", "kafka-python", "java")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kafka-python,confluent", "unknown client 'confluent' (known: kafka-python, librdkafka, java)"),
        ("kafka-python,,java", "empty client name in 'kafka-python,,java'"),
        ("", "empty client name"),
    ],
)
def test_a_bad_mix_is_one_line(capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["soak", "--mix", text])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("kpart soak: error: argument --mix: ") and message in err, err


def _metadata(generation: int, group: bytes = b"g1") -> bytes:
    # as librdkafka 2.x writes it: magic, native int32 generation, group id, member id, instance id
    return b"CGMDv2:" + struct.pack("=i", generation) + group + b"\0m-1\0\0i1\0"


@pytest.mark.parametrize("generation", [-1, 0, 1, 7, 2**31 - 1])
def test_generation_is_read_from_librdkafka_group_metadata(generation: int) -> None:
    assert generation_of(_metadata(generation), "g1") == generation


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"CGMDv3:\x01\x00\x00\x00g1\0", "unknown librdkafka group metadata format"),
        (b"CGMDv2:\x01\x00", "unknown librdkafka group metadata format"),
        (_metadata(3, b"other"), "names group b'other', not 'g1'"),
    ],
)
def test_unknown_group_metadata_is_refused_not_misread(data: bytes, why: str) -> None:
    with pytest.raises(ConfluentCompatError, match=why):
        generation_of(data, "g1")


def test_java_members_without_a_java_build_are_refused_in_one_line_before_anything_starts(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kpart.reference import JavaReferenceError
    from kpart.soak import members, runner

    def no_maven() -> list[str]:
        raise JavaReferenceError("Maven (mvn) not found: it is needed once to build the Java reference")

    def no_cluster(*_: object, **__: object) -> None:
        raise AssertionError("a cluster was made before the Java member was built")

    monkeypatch.setattr(members, "java_command", no_maven)
    monkeypatch.setattr(runner.SoakCluster, "on_free_ports", no_cluster)
    assert main(["soak", "--mix", "kafka-python,java", "--strategies", "range"]) == 2
    err = capsys.readouterr().err
    assert err == "kpart: soak failed: Maven (mvn) not found: it is needed once to build the Java reference\n"


def test_no_java_build_when_no_group_can_have_a_java_member(monkeypatch: pytest.MonkeyPatch) -> None:
    from kpart.soak import members, runner

    def must_not_build() -> list[str]:
        raise AssertionError("built the Java member for a group that cannot have one")

    monkeypatch.setattr(members, "java_command", must_not_build)
    cfg = runner.SoakConfig(strategies=("weighted-sticky",), mix=("java",), members=2)
    run = runner.SoakRun(cfg, say=lambda _: None)
    try:
        assert [s.client for g in run.groups for s in g.slots] == ["kafka-python", "kafka-python"]
    finally:
        run.close()


@pytest.mark.parametrize("mix", [("kafka-python", "confluent"), ()])
def test_a_bad_mix_in_the_config_is_refused_before_anything_starts(mix: tuple[str, ...]) -> None:
    from kpart.soak import runner

    with pytest.raises(ValueError, match="^--mix: "):
        runner.SoakRun(runner.SoakConfig(strategies=("range",), mix=mix), say=lambda _: None)
