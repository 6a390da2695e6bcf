"""Client config files: every key validated, mapped to each client, secrets never shown."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpart.client_config import (
    ENVIRONMENT,
    MAX_BYTES,
    ClientConfig,
    ClientConfigError,
    Secret,
    load_client_config,
    settings_for,
)

PASSWORD = "hunter2-s3cr3t"
SCRAM_JAAS = ('org.apache.kafka.common.security.scram.ScramLoginModule required '
              f'username="alice" password="{PASSWORD}";')


def write(tmp_path: Path, text: str | bytes, name: str = "client.properties") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def refused(path: Path) -> str:
    """The one-line message loading ``path`` is refused with; it never holds the password."""
    with pytest.raises(ClientConfigError) as info:
        load_client_config(path)
    message = str(info.value)
    assert "\n" not in message
    assert PASSWORD not in message
    assert str(path) in message
    return message


# ---- reading the formats users have ---------------------------------------------------------
def test_a_java_scram_file_maps_to_every_client(tmp_path: Path) -> None:
    path = write(tmp_path, "# from the ops wiki\nsecurity.protocol=SASL_PLAINTEXT\n"
                 f"sasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config={SCRAM_JAAS}\n")
    config = load_client_config(path)
    assert config.describe() == "SASL_PLAINTEXT, SCRAM-SHA-512 as user 'alice'"
    assert config.for_kafka_python() == {
        "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "alice", "sasl_plain_password": PASSWORD,
    }
    assert config.for_aiokafka() == config.for_kafka_python()
    assert config.for_confluent() == {
        "security.protocol": "sasl_plaintext", "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": "alice", "sasl.password": PASSWORD,
    }


def test_librdkafka_keys_give_the_same_settings_as_java_ones(tmp_path: Path) -> None:
    java = load_client_config(write(tmp_path, "security.protocol=SASL_PLAINTEXT\n"
                                    f"sasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config={SCRAM_JAAS}\n", "j"))
    rdkafka = load_client_config(write(tmp_path, "security.protocol=sasl_plaintext\n"
                                       "sasl.mechanisms=SCRAM-SHA-512\nsasl.username=alice\n"
                                       f"sasl.password={PASSWORD}\n", "r"))
    assert rdkafka.for_kafka_python() == java.for_kafka_python()
    assert rdkafka.for_confluent() == java.for_confluent()


def test_continuation_lines_colons_and_escapes_are_read_as_java_reads_them(tmp_path: Path) -> None:
    path = write(tmp_path, "security.protocol : SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                 "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule \\\n"
                 '    required username="bob" \\\n' + r'    password="p\\\\a\\"ss";' + "\n")
    config = load_client_config(path)
    assert config.username == "bob"
    assert config.password is not None and config.password.reveal() == 'p\\a"ss'


def test_a_file_without_security_settings_is_plaintext(tmp_path: Path) -> None:
    config = load_client_config(write(tmp_path, "# nothing\n\n"))
    assert config.for_kafka_python() == {"security_protocol": "PLAINTEXT"}
    assert config.for_confluent() == {"security.protocol": "plaintext"}


def test_ssl_files_resolve_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not checked here")
    (tmp_path / "me.pem").write_text("x")
    (tmp_path / "me.key").write_text("x")
    path = write(tmp_path, "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.username=u\n"
                 "sasl.password=pw\nssl.ca.location=ca.pem\nssl.certificate.location=me.pem\n"
                 "ssl.key.location=me.key\nssl.key.password=kp\nssl.endpoint.identification.algorithm=\n")
    config = load_client_config(path)
    kp = config.for_kafka_python()
    assert (kp["ssl_cafile"], kp["ssl_certfile"], kp["ssl_keyfile"], kp["ssl_password"]) == (
        str(tmp_path / "ca.pem"), str(tmp_path / "me.pem"), str(tmp_path / "me.key"), "kp")
    assert kp["ssl_check_hostname"] is False
    rd = config.for_confluent()
    assert rd["ssl.ca.location"] == str(tmp_path / "ca.pem")
    assert rd["ssl.endpoint.identification.algorithm"] == "none"
    assert rd["ssl.key.password"] == "kp"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_aiokafka_gets_a_tls_context_trusting_the_named_ca(tmp_path: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=kpart-test-ca", "-keyout", str(tmp_path / "ca.key"),
                    "-out", str(tmp_path / "ca.pem")], check=True, capture_output=True)
    config = load_client_config(write(tmp_path, "security.protocol=SSL\nssl.truststore.location=ca.pem\n"
                                      "ssl.truststore.type=PEM\n"))
    context = config.for_aiokafka()["ssl_context"]
    assert context.check_hostname is True
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "kpart-test-ca"),),)]


# ---- refusing, in one line, without the secret ----------------------------------------------
BAD_FILES = {
    "unknown key": (f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config={SCRAM_JAAS}"
                    f"\nsasl.pasword={PASSWORD}\n", "line 4: unknown key 'sasl.pasword'"),
    "a secret as a key": (f"{PASSWORD}\n", "line 1: not a KEY=VALUE line"),
    "a bare word key": (f"password={PASSWORD}\n", "line 1: unknown key (not shown"),
    "duplicate key": (f"sasl.password={PASSWORD}\nsasl.password={PASSWORD}x\n", "line 2: 'sasl.password' "
                      "sets 'sasl.password' again (first set on line 1)"),
    "both names of a key": ("sasl.mechanism=PLAIN\nsasl.mechanisms=PLAIN\n",
                            "line 2: 'sasl.mechanisms' sets 'sasl.mechanism' again"),
    "bad protocol": ("security.protocol=SASL_TLS\n", "security.protocol: 'SASL_TLS' is not one of"),
    "bad mechanism": ("security.protocol=SASL_SSL\nsasl.mechanism=GSSAPI\n", "sasl.mechanism: 'GSSAPI'"),
    "no mechanism": (f"security.protocol=SASL_PLAINTEXT\nsasl.jaas.config={SCRAM_JAAS}\n",
                     "sasl.mechanism: missing"),
    "module does not do the mechanism": (
        f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config={SCRAM_JAAS}\n",
        "ScramLoginModule does not do sasl.mechanism PLAIN"),
    "malformed jaas": ("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
                       f'PlainLoginModule username="u" password="{PASSWORD}"\n',
                       "sasl.jaas.config: expected"),
    "unknown jaas option": (
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" '
        f'password="{PASSWORD}" tokenauth=true;\n', "unknown option(s) tokenauth"),
    "jaas without password": (
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config="
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="u";\n', "no password"),
    "jaas and username both": (f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\n"
                               f"sasl.jaas.config={SCRAM_JAAS}\nsasl.username=u\n", "use one or the other"),
    "no password": ("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.username=u\n",
                    "sasl.password: missing"),
    "sasl without a sasl protocol": (f"sasl.mechanism=PLAIN\nsasl.username=u\nsasl.password={PASSWORD}\n",
                                     "sasl.mechanism: set, but security.protocol is PLAINTEXT"),
    "ssl without a tls protocol": ("ssl.ca.location=/etc/hostname\n",
                                   "ssl.truststore.location: set, but security.protocol is PLAINTEXT"),
    "a jks truststore": ("security.protocol=SSL\nssl.truststore.location=/etc/hostname\n"
                         "ssl.truststore.type=JKS\n", "ssl.truststore.type: 'JKS': Python clients read PEM"),
    "a missing ca file": ("security.protocol=SSL\nssl.ca.location=nowhere.pem\n",
                          "nowhere.pem is not a readable file"),
    "a key without a certificate": (f"security.protocol=SSL\nssl.key.password={PASSWORD}\n",
                                    "ssl.key.password: given without ssl.certificate.location"),
    "bad hostname check": ("security.protocol=SSL\nssl.endpoint.identification.algorithm=yes\n",
                           "'yes' is not 'https' or empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_in_one_line_naming_file_and_key_never_the_secret(
    tmp_path: Path, case: str
) -> None:
    text, expected = BAD_FILES[case]
    assert expected in refused(write(tmp_path, text))


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    assert "binary data (a NUL byte at offset 3)" in refused(write(tmp_path, b"abc\0" + PASSWORD.encode()))


def test_a_non_utf8_file_is_refused_at_its_byte(tmp_path: Path) -> None:
    assert "not UTF-8 text (at byte 5)" in refused(write(tmp_path, b"a.b=c\xff\xfe"))


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = write(tmp_path, ("# " + "x" * 1000 + "\n") * (4 * MAX_BYTES // 1000))
    assert "larger than 64 KiB" in refused(path)


def test_a_missing_file_or_a_directory_is_one_line(tmp_path: Path) -> None:
    assert "cannot read the client config" in refused(tmp_path / "absent.properties")
    assert "cannot read the client config" in refused(tmp_path)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400) | st.text(alphabet="=:\\#!\n \"';.sauclrmepiotyn-SCRAMPLAIN", max_size=200))
def test_hostile_files_load_or_are_refused_never_crash(tmp_path_factory: pytest.TempPathFactory,
                                                       data: bytes | str) -> None:
    path = write(tmp_path_factory.mktemp("fuzz"), data)
    try:
        config = load_client_config(path)
    except ClientConfigError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(config, ClientConfig)


# ---- secrets stay secret --------------------------------------------------------------------
def test_a_secret_prints_as_stars_everywhere() -> None:
    secret = Secret(PASSWORD)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret, ""),
             "%s %r" % (secret, secret),  # noqa: UP031  (how logging formats its arguments)
             repr([secret]), repr({"p": secret})]
    assert all(PASSWORD not in text and "***" in text for text in shown)
    assert secret.reveal() == PASSWORD
    assert secret == Secret(PASSWORD) and secret != Secret("other")


def test_a_secret_cannot_be_written_as_json_or_pickled() -> None:
    with pytest.raises(TypeError):
        json.dumps({"password": Secret(PASSWORD)})
    with pytest.raises(TypeError):
        pickle.dumps(Secret(PASSWORD))
    assert PASSWORD not in json.dumps({"password": Secret(PASSWORD)}, default=str)


def test_a_loaded_config_shows_no_secret_in_repr_or_traceback(tmp_path: Path) -> None:
    config = load_client_config(write(tmp_path, "security.protocol=SASL_PLAINTEXT\n"
                                      f"sasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config={SCRAM_JAAS}\n"))
    assert PASSWORD not in repr(config) and PASSWORD not in config.describe()
    try:
        raise RuntimeError(f"could not connect with {config!r}")
    except RuntimeError:
        text = traceback.format_exc()
    assert "alice" in text and PASSWORD not in text


def test_settings_for_reads_the_file_the_environment_names(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    assert settings_for("kafka-python") == {}
    path = write(tmp_path, f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.username=u\n"
                 f"sasl.password={PASSWORD}\n")
    monkeypatch.setenv(ENVIRONMENT, str(path))
    assert settings_for("confluent")["sasl.password"] == PASSWORD
    assert settings_for("kafka-python")["sasl_plain_username"] == "u"
    with pytest.raises(ValueError, match="no security mapping for client 'java'"):
        settings_for("java")


# ---- the commands refuse a bad file before they start anything ------------------------------
def kpart(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kpart.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_commands_refuse_a_bad_client_config_in_one_line_with_exit_2(tmp_path: Path) -> None:
    bad = write(tmp_path, f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.passwd={PASSWORD}\n")
    for command in (["simulate", "--live", "--bootstrap", "127.0.0.1:1"], ["compare", "--live", "--bootstrap",
                    "127.0.0.1:1", "--strategies", "range"], ["soak", "--duration", "30"]):
        result = kpart(*command, "--client-config", str(bad))
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"kpart: {bad}, line 3: unknown key 'sasl.passwd' (known: ")
        assert result.stderr.count("\n") == 1 and PASSWORD not in result.stdout + result.stderr


def test_the_soak_refuses_a_tls_config_its_cluster_cannot_serve(tmp_path: Path) -> None:
    tls = write(tmp_path, "security.protocol=SSL\n")
    result = kpart("soak", "--duration", "30", "--client-config", str(tls))
    assert result.returncode == 2
    assert "the soak's own cluster serves SASL_PLAINTEXT only, not SSL" in result.stderr


def test_the_soak_refuses_a_client_config_with_members_that_would_not_carry_it(tmp_path: Path) -> None:
    good = write(tmp_path, f"security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.username=u\n"
                 f"sasl.password={PASSWORD}\n")
    result = kpart("soak", "--duration", "30", "--mix", "kafka-python,librdkafka",
                   "--client-config", str(good))
    assert result.returncode == 2, result.stderr
    assert "carried by kafka-python members only; --mix also names librdkafka" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def test_a_client_config_without_live_is_refused() -> None:
    result = kpart("simulate", "--client-config", "x.properties")
    assert (result.returncode, result.stderr) == (2, "kpart: --client-config is for --live (the simulation "
                                                     "itself needs no broker)\n")
