"""Check that a client config gets into a broker, in seconds, before any client is built.

Clients report wrong credentials late and vaguely (kafka-python retries until its bootstrap
timeout, then says "Unable to bootstrap"). :func:`check_access` speaks the Kafka protocol
itself, with no client library: TLS when the config says so, then ``SaslHandshake`` and
``SaslAuthenticate`` (PLAIN, or SCRAM per RFC 5802 with the server's signature verified), or an
``ApiVersions`` request without SASL. It raises :class:`AccessError` with one line, such as
``authentication failed for user 'u' at 127.0.0.1:9094 (SASL SCRAM-SHA-512)``, never a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import socket
import ssl
import struct
import time
from pathlib import Path
from typing import Any

from kpart.broker import DEFAULT_STATE_DIR, BrokerError, LocalCluster, parse_bootstrap, reachable_bootstrap
from kpart.client_config import ClientConfig, ClientConfigError, load_client_config, settings_of

_HANDSHAKE, _AUTHENTICATE, _API_VERSIONS = 17, 36, 18
_SASL_FAILED = 58
_NO_MECHANISM = 33
_NOT_SASL = 34  # ILLEGAL_SASL_STATE: a handshake on a listener without SASL


class AccessError(RuntimeError):
    """The broker refused the credentials, or could not be reached; the message is one line."""


class AuthenticationFailed(AccessError):
    """The broker answered and refused the credentials."""


class _Link:
    """Size-prefixed Kafka requests and responses over one connection, with a deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline, self.correlation = sock, deadline, 0

    def call(self, api_key: int, version: int, body: bytes) -> bytes:
        self.correlation += 1
        header = struct.pack(">hhih", api_key, version, self.correlation, 5) + b"kpart"
        message = header + body
        self._timeout()
        self.sock.sendall(struct.pack(">i", len(message)) + message)
        size = struct.unpack(">i", self._read(4))[0]
        if not 4 <= size <= 1 << 20:
            raise ConnectionError(f"a response of {size} bytes")
        response = self._read(size)
        if struct.unpack(">i", response[:4])[0] != self.correlation:
            raise ConnectionError("a response to another request")
        return response[4:]

    def _timeout(self) -> None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.sock.settimeout(left)

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            self._timeout()
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the broker closed the connection")
            data += chunk
        return data


def _string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">h", len(raw)) + raw


def _authenticate(link: _Link, data: bytes) -> tuple[int, str | None, bytes]:
    """One SaslAuthenticate v0 round: ``(error code, error message, server bytes)``."""
    body = link.call(_AUTHENTICATE, 0, struct.pack(">i", len(data)) + data)
    error, length = struct.unpack(">hh", body[:4])
    message = body[4:4 + length].decode(errors="replace") if length >= 0 else None
    rest = body[4 + max(length, 0):]
    (size,) = struct.unpack(">i", rest[:4])
    return error, message, rest[4:4 + max(size, 0)]


def _saslname(name: str) -> str:
    return name.replace("=", "=3D").replace(",", "=2C")


def _scram(link: _Link, mechanism: str, user: str, password: str) -> tuple[int, str | None]:
    digest = hashlib.sha256 if mechanism == "SCRAM-SHA-256" else hashlib.sha512
    nonce = secrets.token_urlsafe(24)
    first_bare = f"n={_saslname(user)},r={nonce}"
    error, message, server_first = _authenticate(link, f"n,,{first_bare}".encode())
    if error:
        return error, message
    fields = dict(part.split("=", 1) for part in server_first.decode().split(",") if "=" in part)
    if not fields.get("r", "").startswith(nonce) or "s" not in fields or "i" not in fields:
        raise ConnectionError("a malformed SCRAM server-first message")
    salted = hashlib.pbkdf2_hmac(digest().name, password.encode(), base64.b64decode(fields["s"]),
                                 int(fields["i"]))
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    without_proof = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first.decode()},{without_proof}".encode()
    signature = hmac.new(digest(client_key).digest(), auth_message, digest).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True))).decode()
    error, message, server_final = _authenticate(link, f"{without_proof},p={proof}".encode())
    if error:
        return error, message
    expected = hmac.new(hmac.new(salted, b"Server Key", digest).digest(), auth_message, digest).digest()
    if server_final.decode() != "v=" + base64.b64encode(expected).decode():
        raise ConnectionError("the broker's SCRAM signature does not match (not the broker it claims)")
    return 0, None


def _try(host: str, port: int, config: ClientConfig, deadline: float) -> None:
    where = f"{host}:{port}"
    with socket.create_connection((host, port), timeout=max(0.1, deadline - time.monotonic())) as raw:
        sock: socket.socket = raw
        if config.uses_ssl:
            sock = config.ssl_context().wrap_socket(raw, server_hostname=host)
        link = _Link(sock, deadline)
        if not config.uses_sasl:
            body = link.call(_API_VERSIONS, 0, b"")
            if struct.unpack(">h", body[:2])[0] != 0:
                raise ConnectionError("ApiVersions refused")
            return
        mechanism = str(config.sasl_mechanism)
        body = link.call(_HANDSHAKE, 1, _string(mechanism))
        (error,) = struct.unpack(">h", body[:2])
        if error == _NO_MECHANISM:
            raise AuthenticationFailed(f"the broker at {where} does not offer SASL {mechanism} on this "
                                       "listener")
        if error == _NOT_SASL:
            raise AuthenticationFailed(f"the listener at {where} does not do SASL: point the bootstrap "
                                       "at the broker's SASL listener")
        if error:
            raise AuthenticationFailed(f"the broker at {where} refused the SASL handshake (error {error})")
        user, password = str(config.username), config.password.reveal() if config.password else ""
        if mechanism == "PLAIN":
            error, message, _ = _authenticate(link, f"\0{user}\0{password}".encode())
        else:
            error, message = _scram(link, mechanism, user, password)
        if error:
            said = f": {message}" if message and error != _SASL_FAILED else ""
            raise AuthenticationFailed(f"authentication failed for user {user!r} at {where} "
                                       f"(SASL {mechanism}){said}")


def check_access(bootstrap: str, config: ClientConfig, timeout: float = 10.0) -> str:
    """The first ``host:port`` of ``bootstrap`` that accepts ``config``'s credentials.

    Raises :class:`AuthenticationFailed` as soon as a broker refuses them, or :class:`AccessError`
    if no broker answered within ``timeout`` s in all. Messages are one line and hold no secret.
    """
    try:
        addresses = parse_bootstrap(bootstrap)
    except ValueError as exc:
        raise AccessError(str(exc)) from None
    deadline = time.monotonic() + timeout
    problems = []
    for host, port in addresses:
        try:
            _try(host, port, config, deadline)
            return f"{host}:{port}"
        except AuthenticationFailed:
            raise
        except ssl.SSLError as exc:
            problems.append(f"{host}:{port}: TLS failed ({exc.reason or exc})")
        except (OSError, ConnectionError, struct.error, ValueError, UnicodeDecodeError) as exc:
            if not config.uses_ssl and isinstance(exc, ConnectionError) and config.uses_sasl:
                problems.append(f"{host}:{port}: {exc} (is this a {config.security_protocol} listener?)")
            else:
                problems.append(f"{host}:{port}: {exc or type(exc).__name__}")
    raise AccessError(f"no broker at {bootstrap} let in a {config.describe()} client: " + "; ".join(problems))


def connect(given: str | None, client_config: Path | None, client: str,
            timeout: float = 10.0) -> tuple[str, str, dict[str, Any]]:
    """The broker to use, how it was found, and the security settings for ``client``
    (``kafka-python``, ``aiokafka`` or ``confluent``; empty without ``client_config``).

    Without a config this is :func:`kpart.broker.reachable_bootstrap` (``BrokerError`` if no
    broker answers). With one, the bootstrap is ``given``, else ``$KAFKA_BOOTSTRAP``, else the
    local cluster's SASL listener (for a SASL_PLAINTEXT config) or its plain one, and
    :func:`check_access` must pass: :class:`AccessError` (one line) for a bad file, refused
    credentials or no answer, within ``timeout`` s.
    """
    if client_config is None:
        bootstrap, source = reachable_bootstrap(given)
        return bootstrap, source, {}
    try:
        config = load_client_config(client_config)
    except ClientConfigError as exc:
        raise AccessError(str(exc)) from None
    bootstrap, source = _bootstrap_for(given, config)
    check_access(bootstrap, config, timeout)
    return bootstrap, source, settings_of(config, client)


def _bootstrap_for(given: str | None, config: ClientConfig) -> tuple[str, str]:
    if given:
        return given, "--bootstrap"
    if os.environ.get("KAFKA_BOOTSTRAP"):
        return os.environ["KAFKA_BOOTSTRAP"], "$KAFKA_BOOTSTRAP"
    try:
        cluster = LocalCluster.load(DEFAULT_STATE_DIR)
    except BrokerError as exc:
        raise AccessError(f"{exc}; or pass --bootstrap HOST:PORT") from None
    if config.security_protocol == "SASL_PLAINTEXT" and cluster.sasl_bootstrap:
        return cluster.sasl_bootstrap, f"the SASL listener of the cluster recorded in {DEFAULT_STATE_DIR}"
    return cluster.bootstrap, f"the cluster recorded in {DEFAULT_STATE_DIR}"
