"""The local broker's SASL_PLAINTEXT listener: its users, its settings, and client config files.

One listener serves PLAIN and SCRAM-SHA-256/512 for the same users. PLAIN users live in the
listener's JAAS setting (rewritten at every start); SCRAM users are written into the metadata
log by ``kafka-storage format --add-scram`` when the directory is first formatted. Every file
holding a password is created readable by its owner only.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
DEFAULT_USER = "kpart"
USERS_FILE = "sasl-users.json"
_SAFE = re.compile(r"[A-Za-z0-9._~-]{1,64}")
_PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
_SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"


def check_users(users: Mapping[str, str]) -> None:
    """Raise ``ValueError`` (naming the user, never the password) unless every name and password
    is 1-64 characters of ``A-Z a-z 0-9 . _ ~ -`` (what the JAAS and ``--add-scram`` syntaxes
    carry without quoting)."""
    if not users:
        raise ValueError("a SASL listener needs at least one user")
    for name, password in users.items():
        if not isinstance(name, str) or not _SAFE.fullmatch(name):
            raise ValueError(f"SASL user name {name!r}: use 1-64 of A-Z a-z 0-9 . _ ~ -")
        if not isinstance(password, str) or not _SAFE.fullmatch(password):
            raise ValueError(f"password of SASL user {name!r}: use 1-64 of A-Z a-z 0-9 . _ ~ -")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable and writable by its owner only (even if it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        os.fchmod(out.fileno(), 0o600)
        out.write(text)


def recorded_or_new_users(directory: Path) -> dict[str, str]:
    """The users recorded in ``directory``, else one user ``kpart`` with a random password,
    recorded there (a restart must find the same SCRAM users the first format created)."""
    path = directory / USERS_FILE
    if path.is_file():
        try:
            users = json.loads(path.read_text())
            check_users(users)
        except (OSError, ValueError, AttributeError) as exc:
            raise ValueError(f"{path} does not hold SASL users ({type(exc).__name__}): delete it") from None
        return dict(users)
    users = {DEFAULT_USER: secrets.token_urlsafe(18)}
    directory.mkdir(parents=True, exist_ok=True)
    write_private(path, json.dumps(users))
    return users


def listener_settings(users: Mapping[str, str]) -> dict[str, object]:
    """``server.properties`` entries enabling the three mechanisms on the SASL_PLAINTEXT listener."""
    plain_users = " ".join(f'user_{name}="{password}"' for name, password in users.items())
    prefix = "listener.name.sasl_plaintext"
    return {
        "sasl.enabled.mechanisms": ",".join(MECHANISMS),
        f"{prefix}.plain.sasl.jaas.config": f"{_PLAIN_MODULE} required {plain_users};",
        f"{prefix}.scram-sha-256.sasl.jaas.config": f"{_SCRAM_MODULE} required;",
        f"{prefix}.scram-sha-512.sasl.jaas.config": f"{_SCRAM_MODULE} required;",
    }


def format_arguments(users: Mapping[str, str]) -> list[str]:
    """``kafka-storage format`` arguments creating every user for both SCRAM mechanisms."""
    return [
        arg
        for name, password in users.items()
        for mechanism in MECHANISMS[1:]
        for arg in ("--add-scram", f"{mechanism}=[name={name},password={password}]")
    ]


def client_config_text(mechanism: str, user: str, password: str) -> str:
    """A Java-style client config for ``user`` over the SASL_PLAINTEXT listener."""
    module = _PLAIN_MODULE if mechanism == "PLAIN" else _SCRAM_MODULE
    return (
        "security.protocol=SASL_PLAINTEXT\n"
        f"sasl.mechanism={mechanism}\n"
        f'sasl.jaas.config={module} required username="{user}" password="{password}";\n'
    )


def client_config_path(directory: Path, mechanism: str) -> Path:
    return directory / f"client-{mechanism.lower()}.properties"


def write_client_configs(directory: Path, users: Mapping[str, str]) -> list[Path]:
    """One client config per mechanism for the first user: ``client-plain.properties``,
    ``client-scram-sha-256.properties``, ``client-scram-sha-512.properties``."""
    user, password = next(iter(users.items()))
    paths = []
    for mechanism in MECHANISMS:
        path = client_config_path(directory, mechanism)
        write_private(path, client_config_text(mechanism, user, password))
        paths.append(path)
    return paths
