"""Which client each soak member runs: the ``--mix`` of clients, the assignors each client has,
and the command that starts a member of each.

Member ``i`` of a group (joined members included) runs the ``i``-th client of the mix, cycling:
``kafka-python,librdkafka,java`` gives a 4-member group 2 kafka-python, 1 librdkafka and 1 Java
member, all under the group's one protocol name. A client without the group's assignor (our
``weighted-sticky`` has no counterpart anywhere; librdkafka has no eager ``sticky``) is replaced
by kafka-python in that group, and :func:`substitutions` says so.
"""

from __future__ import annotations

import sys

CLIENTS = ("kafka-python", "librdkafka", "java")

ASSIGNORS: dict[str, tuple[str, ...]] = {
    "librdkafka": ("range", "roundrobin", "cooperative-sticky"),
    "java": ("range", "roundrobin", "sticky", "cooperative-sticky"),
}
"""The assignors each client other than kafka-python has under our names (kafka-python runs
every registered assignor through :mod:`strategies.kafka_python`)."""


def parse_mix(text: str) -> tuple[str, ...]:
    """``"kafka-python,librdkafka,java"`` -> the clients in order; ValueError, one line, otherwise."""
    names = tuple(n.strip() for n in text.split(","))
    if not names or any(not n for n in names):
        raise ValueError(f"--mix: empty client name in {text!r} (known: {', '.join(CLIENTS)})")
    for n in names:
        if n not in CLIENTS:
            raise ValueError(f"--mix: unknown client {n!r} (known: {', '.join(CLIENTS)})")
    return names


def has_assignor(client: str, assignor: str) -> bool:
    return client == "kafka-python" or assignor in ASSIGNORS.get(client, ())


def client_for(mix: tuple[str, ...], index: int, assignor: str) -> str:
    """The client of member ``index`` of a group using ``assignor``."""
    wanted = mix[index % len(mix)]
    return wanted if has_assignor(wanted, assignor) else "kafka-python"


def substitutions(mix: tuple[str, ...], assignor: str) -> list[str]:
    """The clients of ``mix`` that cannot run ``assignor`` (their members run kafka-python)."""
    return sorted({c for c in mix if not has_assignor(c, assignor)})


def python_command(client: str) -> list[str]:
    """The command of a Python member (its JSON config follows as the last argument)."""
    modules = {"kafka-python": "kpart.soak.consumer_worker", "librdkafka": "kpart.soak.confluent_worker"}
    return [sys.executable, "-m", modules[client]]


def java_command() -> list[str]:
    """The command of a Java member; builds the reference harness with Maven on first use
    (:class:`~kpart.reference.JavaReferenceError` or :class:`~kpart.broker.BrokerError`, one
    line, when Java or Maven is missing)."""
    from kpart.broker import java_executable
    from kpart.reference import SOAK_CONSUMER_CLASS, ensure_built

    return [java_executable(), "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-cp", ensure_built(), SOAK_CONSUMER_CLASS]
