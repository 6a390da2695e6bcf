"""The local broker's SSL listener: a self-signed certificate made with Java's ``keytool``.

The key pair and certificate (``CN=localhost``, names ``127.0.0.1`` and ``localhost``, ten
years) are made once per state directory, in ``<dir>/tls/``: ``broker.p12`` (the broker's
PKCS12 keystore, its random password in ``keystore-password``, both owner-only) and ``ca.pem``
(the certificate, which clients trust). ``client-ssl.properties`` is a ready client config.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

from kpart.broker_sasl import write_private


class TlsError(RuntimeError):
    """The certificate could not be made; the message says why."""


def keytool(java: str) -> str:
    """The ``keytool`` of the JDK that runs the broker (else the one on ``PATH``)."""
    beside = Path(java).parent / "keytool"
    found = str(beside) if beside.exists() else shutil.which("keytool")
    if found is None:
        raise TlsError("keytool not found (it comes with the JDK): needed for the SSL listener")
    return found


def ensure_keystore(directory: Path, java: str) -> tuple[Path, str, Path]:
    """``(keystore, password, ca.pem)`` of ``directory/tls``, made with keytool if absent."""
    tls = directory / "tls"
    keystore, password_file, ca = tls / "broker.p12", tls / "keystore-password", tls / "ca.pem"
    if keystore.is_file() and password_file.is_file() and ca.is_file():
        return keystore, password_file.read_text().strip(), ca
    tls.mkdir(parents=True, exist_ok=True)
    keystore.unlink(missing_ok=True)
    password = secrets.token_urlsafe(18)
    tool = keytool(java)
    steps = [
        [tool, "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "3650",
         "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-keystore", str(keystore),
         "-storetype", "PKCS12", "-storepass:env", "KPART_KEYSTORE_PASSWORD", "-noprompt"],
        [tool, "-exportcert", "-rfc", "-alias", "broker", "-keystore", str(keystore),
         "-storepass:env", "KPART_KEYSTORE_PASSWORD", "-file", str(ca)],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "KPART_KEYSTORE_PASSWORD": password})
        if result.returncode != 0:
            raise TlsError(f"keytool {step[1]} failed: {(result.stdout + result.stderr).strip()[-300:]}")
    keystore.chmod(0o600)
    write_private(password_file, password)
    return keystore, password, ca


def listener_settings(keystore: Path, password: str) -> dict[str, object]:
    """``server.properties`` entries for every SSL listener (no client certificates asked for)."""
    return {
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": keystore,
        "ssl.keystore.password": password,
        "ssl.key.password": password,
    }


def write_client_config(directory: Path, ca: Path) -> Path:
    """``directory/client-ssl.properties``: TLS, trusting ``ca``, host name checked."""
    path = directory / "client-ssl.properties"
    write_private(path, "security.protocol=SSL\nssl.truststore.type=PEM\n"
                        f"ssl.truststore.location={ca.resolve()}\n")
    return path
