"""Client security settings (SASL PLAIN / SCRAM, SSL) from the config file Kafka users already have.

The file is a Java ``client.properties`` (``key=value`` or ``key: value`` lines, ``#`` / ``!``
comments, backslash escapes and continuations). Keys, Java's name first, librdkafka's after:

* ``security.protocol``: ``PLAINTEXT``, ``SSL``, ``SASL_PLAINTEXT`` or ``SASL_SSL``
* ``sasl.mechanism`` (``sasl.mechanisms``): ``PLAIN``, ``SCRAM-SHA-256`` or ``SCRAM-SHA-512``
* ``sasl.jaas.config`` (``...PlainLoginModule`` / ``...ScramLoginModule required
  username="u" password="p";``), or librdkafka's ``sasl.username`` and ``sasl.password``
* ``ssl.truststore.location`` with ``ssl.truststore.type=PEM`` (``ssl.ca.location``): CA file
* ``ssl.certificate.location``, ``ssl.key.location``, ``ssl.key.password``: a client certificate
* ``ssl.endpoint.identification.algorithm``: ``https`` (default) or empty: check the host name

Guarantees: every key and value is validated and anything else is refused with one line naming
the file and the key (or line) and never a secret's value; a key given twice (also under both
names) is refused; files over 64 KiB, binary or non-UTF-8 files are refused. Passwords are
:class:`Secret` values: their ``repr``, ``str`` and ``format`` say ``***``, and ``json`` refuses
them; only the ``for_*`` mappings, handed to a client, hold them in clear.
"""

from __future__ import annotations

import hmac
import os
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_BYTES = 64 * 1024
ENVIRONMENT = "KPART_CLIENT_CONFIG"
"""A child process finds its parent's ``--client-config`` file here (a path, never a secret)."""

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
_MODULES = {
    "org.apache.kafka.common.security.plain.PlainLoginModule": ("PLAIN",),
    "org.apache.kafka.common.security.scram.ScramLoginModule": ("SCRAM-SHA-256", "SCRAM-SHA-512"),
}
_ALIASES = {  # librdkafka's name -> Java's
    "sasl.mechanisms": "sasl.mechanism",
    "ssl.ca.location": "ssl.truststore.location",
}
KEYS = (
    "security.protocol", "sasl.mechanism", "sasl.jaas.config", "sasl.username", "sasl.password",
    "ssl.truststore.location", "ssl.truststore.type", "ssl.certificate.location", "ssl.key.location",
    "ssl.key.password", "ssl.endpoint.identification.algorithm", *_ALIASES,
)
_SECRET_KEYS = {"sasl.jaas.config", "sasl.password", "ssl.key.password"}
_KEY = re.compile(r"[A-Za-z0-9._-]{1,100}")
_SETTING_NAME = re.compile(r"[a-z][a-z0-9-]*(\.[a-z0-9-]+)+")


class ClientConfigError(ValueError):
    """A client config file is unusable; the message is one line naming the file and the key."""


class Secret:
    """A password. ``repr``/``str``/``format`` print ``***``; :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled (it would write the password in clear)")


@dataclass(frozen=True)
class ClientConfig:
    """Validated security settings of one client config file (``source``)."""

    source: Path
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    username: str | None = None
    password: Secret | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    key_password: Secret | None = None
    check_hostname: bool = True

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_ssl(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def describe(self) -> str:
        """One line for output, without secrets: ``SASL_PLAINTEXT, SCRAM-SHA-512 as user 'u'``."""
        text = self.security_protocol
        if self.uses_sasl:
            text += f", {self.sasl_mechanism} as user {self.username!r}"
        return text

    def for_kafka_python(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python's ``KafkaProducer``/``KafkaConsumer``/``KafkaAdminClient``."""
        out: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.uses_sasl:
            out.update(sasl_mechanism=self.sasl_mechanism, sasl_plain_username=self.username,
                       sasl_plain_password=_reveal(self.password))
        if self.uses_ssl:
            out.update(ssl_check_hostname=self.check_hostname, ssl_cafile=_str(self.ca_file),
                       ssl_certfile=_str(self.cert_file), ssl_keyfile=_str(self.key_file),
                       ssl_password=_reveal(self.key_password))
        return out

    def for_aiokafka(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        out: dict[str, Any] = {"security_protocol": self.security_protocol}
        if self.uses_sasl:
            out.update(sasl_mechanism=self.sasl_mechanism, sasl_plain_username=self.username,
                       sasl_plain_password=_reveal(self.password))
        if self.uses_ssl:
            out["ssl_context"] = self.ssl_context()
        return out

    def for_confluent(self) -> dict[str, str]:
        """librdkafka (confluent-kafka) configuration entries."""
        out = {"security.protocol": self.security_protocol.lower()}
        if self.uses_sasl:
            out.update({"sasl.mechanisms": str(self.sasl_mechanism), "sasl.username": str(self.username),
                        "sasl.password": _reveal(self.password) or ""})
        if self.uses_ssl:
            out["ssl.endpoint.identification.algorithm"] = "https" if self.check_hostname else "none"
            files = {"ssl.ca.location": self.ca_file, "ssl.certificate.location": self.cert_file,
                     "ssl.key.location": self.key_file}
            out.update({k: str(v) for k, v in files.items() if v is not None})
            if self.key_password is not None:
                out["ssl.key.password"] = self.key_password.reveal()
        return out

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context: the CA file (else the system's), the client certificate if any."""
        context = ssl.create_default_context(cafile=_str(self.ca_file))
        context.check_hostname = self.check_hostname
        if self.cert_file is not None:
            context.load_cert_chain(str(self.cert_file), _str(self.key_file), _reveal(self.key_password))
        return context


def _reveal(secret: Secret | None) -> str | None:
    return None if secret is None else secret.reveal()


def _str(path: Path | None) -> str | None:
    return None if path is None else str(path)


# ---- reading ---------------------------------------------------------------------------------
def load_client_config(path: str | os.PathLike[str]) -> ClientConfig:
    """Read and validate ``path``; :class:`ClientConfigError` (one line) if anything is wrong."""
    source = Path(path)
    return _validate(source, read_properties(source))


def from_environment() -> ClientConfig | None:
    """The config named by ``$KPART_CLIENT_CONFIG`` (set by ``--client-config``), else None."""
    path = os.environ.get(ENVIRONMENT)
    return load_client_config(path) if path else None


def settings_for(client: str) -> dict[str, Any]:
    """The security settings of ``$KPART_CLIENT_CONFIG`` for ``client`` (``kafka-python``,
    ``aiokafka`` or ``confluent``); empty without the variable, so callers add them always."""
    config = from_environment()
    return {} if config is None else settings_of(config, client)


def settings_of(config: ClientConfig, client: str) -> dict[str, Any]:
    """``config`` mapped for ``client`` (``kafka-python``, ``aiokafka`` or ``confluent``)."""
    mappings = {"kafka-python": config.for_kafka_python, "aiokafka": config.for_aiokafka,
                "confluent": config.for_confluent}
    if client not in mappings:
        raise ValueError(f"no security mapping for client {client!r}; known: {', '.join(mappings)}")
    return mappings[client]()


def read_properties(source: Path) -> dict[str, tuple[int, str]]:
    """``key -> (line number, value)`` of a Java properties file, aliases folded to Java's names."""
    text = _read_text(source)
    entries: dict[str, tuple[int, str]] = {}
    for number, line in _logical_lines(text):
        key, value = _split(source, number, line)
        canonical = _ALIASES.get(key, key)
        if canonical not in KEYS and not _SETTING_NAME.fullmatch(key):
            raise ClientConfigError(f"{source}, line {number}: unknown key (not shown: it is no dotted "
                                    "setting name and may be a secret)")
        if canonical not in KEYS:
            raise ClientConfigError(f"{source}, line {number}: unknown key {key!r} "
                                    f"(known: {', '.join(KEYS)})")
        if canonical in entries:
            first = entries[canonical][0]
            raise ClientConfigError(f"{source}, line {number}: {key!r} sets {canonical!r} again "
                                    f"(first set on line {first}); keep one")
        entries[canonical] = (number, value)
    return entries


def _read_text(source: Path) -> str:
    try:
        with source.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ClientConfigError(f"{source}: cannot read the client config ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise ClientConfigError(f"{source}: larger than {MAX_BYTES // 1024} KiB; not a client config")
    if b"\0" in data:
        offset = data.index(b"\0")
        raise ClientConfigError(f"{source}: binary data (a NUL byte at offset {offset}); not a client config")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClientConfigError(f"{source}: not UTF-8 text (at byte {exc.start})") from None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank, non-comment lines with backslash continuations joined, with their first line number."""
    out: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.lstrip()
        if pending is None and (not line or line[0] in "#!"):
            continue
        continued = (len(line) - len(line.rstrip("\\"))) % 2 == 1
        piece = line[:-1] if continued else line
        pending = (number, piece) if pending is None else (pending[0], pending[1] + piece)
        if not continued:
            out.append(pending)
            pending = None
    if pending is not None:
        out.append(pending)
    return out


def _split(source: Path, number: int, line: str) -> tuple[str, str]:
    match = re.match(r"((?:[^=:\s\\]|\\.)+)\s*[=:]\s*(.*)$", line, re.DOTALL)
    key = _unescape(match.group(1)) if match else ""
    if not match or not _KEY.fullmatch(key):
        raise ClientConfigError(f"{source}, line {number}: not a KEY=VALUE line "
                                "(the line is not shown: it may hold a secret)")
    return key, _unescape(match.group(2))


_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        c = m.group(1)
        if c.startswith("u"):
            return chr(int(c[1:], 16))
        return _ESCAPES.get(c, c)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", one, text, flags=re.DOTALL)


# ---- validating ------------------------------------------------------------------------------
def _validate(source: Path, entries: dict[str, tuple[int, str]]) -> ClientConfig:
    def fail(key: str, what: str) -> ClientConfigError:
        return ClientConfigError(f"{source}: {key}: {what}")

    def value(key: str) -> str | None:
        return entries[key][1].strip() if key in entries else None

    protocol = (value("security.protocol") or "PLAINTEXT").upper()
    if protocol not in PROTOCOLS:
        given = value("security.protocol")
        raise fail("security.protocol", f"{given!r} is not one of {', '.join(PROTOCOLS)}")
    sasl = protocol.startswith("SASL_")
    uses_ssl = protocol in ("SSL", "SASL_SSL")
    mechanism = value("sasl.mechanism")
    username: str | None = None
    password: Secret | None = None
    if mechanism is not None:
        mechanism = mechanism.upper()
        if mechanism not in MECHANISMS:
            raise fail("sasl.mechanism", f"{value('sasl.mechanism')!r} is not one of {', '.join(MECHANISMS)}")
    sasl_keys = [k for k in ("sasl.mechanism", "sasl.jaas.config", "sasl.username", "sasl.password")
                 if k in entries]
    if not sasl and sasl_keys:
        raise fail(sasl_keys[0], f"set, but security.protocol is {protocol} (SASL needs SASL_PLAINTEXT "
                   "or SASL_SSL)")
    if sasl:
        if mechanism is None:
            raise fail("sasl.mechanism", f"missing (security.protocol is {protocol})")
        if "sasl.jaas.config" in entries:
            if "sasl.username" in entries or "sasl.password" in entries:
                raise fail("sasl.jaas.config", "given with sasl.username/sasl.password; use one or the other")
            username, password = _jaas(source, entries["sasl.jaas.config"][1], mechanism)
        else:
            username, raw = value("sasl.username"), entries.get("sasl.password", (0, None))[1]
            if not username:
                raise fail("sasl.username", "missing (or give sasl.jaas.config)")
            if not raw:
                raise fail("sasl.password", "missing or empty (or give sasl.jaas.config)")
            password = Secret(raw)
    ssl_keys = [k for k in KEYS if k.startswith("ssl.") and k in entries]
    if not uses_ssl and ssl_keys:
        raise fail(ssl_keys[0], f"set, but security.protocol is {protocol} (TLS needs SSL or SASL_SSL)")
    store_type = (value("ssl.truststore.type") or "PEM").upper()
    if store_type != "PEM":
        raise fail("ssl.truststore.type", f"{store_type!r}: Python clients read PEM files only "
                   "(export the CA certificate to PEM and name it in ssl.truststore.location)")
    algorithm = value("ssl.endpoint.identification.algorithm")
    if algorithm is not None and algorithm.lower() not in ("https", "", "none"):
        raise fail("ssl.endpoint.identification.algorithm", f"{algorithm!r} is not 'https' or empty")
    cert, key = _file(source, entries, "ssl.certificate.location"), _file(source, entries, "ssl.key.location")
    if key is not None and cert is None:
        raise fail("ssl.key.location", "given without ssl.certificate.location")
    key_password = entries.get("ssl.key.password")
    if key_password is not None and cert is None:
        raise fail("ssl.key.password", "given without ssl.certificate.location")
    return ClientConfig(
        source=source, security_protocol=protocol, sasl_mechanism=mechanism if sasl else None,
        username=username, password=password, ca_file=_file(source, entries, "ssl.truststore.location"),
        cert_file=cert, key_file=key, key_password=Secret(key_password[1]) if key_password else None,
        check_hostname=algorithm is None or algorithm.lower() == "https",
    )


def _file(source: Path, entries: dict[str, tuple[int, str]], key: str) -> Path | None:
    if key not in entries:
        return None
    path = Path(entries[key][1].strip()).expanduser()
    if not path.is_absolute():
        path = source.parent / path  # relative to the config file, as its author sees it
    if not path.is_file() or not os.access(path, os.R_OK):
        raise ClientConfigError(f"{source}: {key}: {path} is not a readable file")
    return path


_JAAS = re.compile(r"\s*([A-Za-z_$][\w.$]*)\s+(required|requisite|sufficient|optional)\s+(.*?)\s*;\s*$",
                   re.DOTALL)
_OPTION = re.compile(r'\s*([A-Za-z_][\w.]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s";]+)')


def _jaas(source: Path, text: str, mechanism: str) -> tuple[str, Secret]:
    """``(username, password)`` of a ``sasl.jaas.config`` value; errors never show the value."""
    def fail(what: str) -> ClientConfigError:
        return ClientConfigError(f"{source}: sasl.jaas.config: {what} (the value is not shown)")

    match = _JAAS.fullmatch(text)
    if not match:
        raise fail("expected 'LoginModule required username=\"...\" password=\"...\";'")
    module, _, rest = match.groups()
    if module not in _MODULES:
        raise fail(f"login module {module!r} is not one of {', '.join(_MODULES)}")
    if mechanism not in _MODULES[module]:
        raise fail(f"{module.rsplit('.', 1)[-1]} does not do sasl.mechanism {mechanism}")
    options: dict[str, str] = {}
    position = 0
    while rest[position:].strip():
        option = _OPTION.match(rest, position)
        if not option:
            raise fail("cannot read the options after the login module")
        name, raw = option.groups()
        if name in options:
            raise fail(f"option {name!r} given twice")
        options[name] = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
        position = option.end()
    unknown = set(options) - {"username", "password"}
    if unknown:
        raise fail(f"unknown option(s) {', '.join(sorted(unknown))} (only username and password are read)")
    if not options.get("username"):
        raise fail("no username")
    if not options.get("password"):
        raise fail("no password")
    return options["username"], Secret(options["password"])
