"""The local broker's SASL users and the files that hold their passwords."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kpart.broker_sasl import (
    USERS_FILE,
    check_users,
    client_config_text,
    format_arguments,
    listener_settings,
    recorded_or_new_users,
    write_client_configs,
)
from kpart.client_config import load_client_config


def owner_only(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_generated_user_is_recorded_owner_only_and_found_again(tmp_path: Path) -> None:
    users = recorded_or_new_users(tmp_path)
    assert list(users) == ["kpart"] and len(users["kpart"]) >= 20
    assert owner_only(tmp_path / USERS_FILE)
    assert recorded_or_new_users(tmp_path) == users  # a restart must find the SCRAM user it formatted


def test_a_damaged_users_file_is_one_line_without_its_content(tmp_path: Path) -> None:
    (tmp_path / USERS_FILE).write_text('{"kpart": "pa ss word"}')
    with pytest.raises(ValueError) as info:
        recorded_or_new_users(tmp_path)
    assert str(info.value) == f"{tmp_path / USERS_FILE} does not hold SASL users (ValueError): delete it"


def test_names_and_passwords_the_jaas_and_scram_syntaxes_cannot_carry_are_refused() -> None:
    for users in ({"a,b": "x"}, {"a": 'p"w'}, {"a": "p]w"}, {"": "x"}, {}):
        with pytest.raises(ValueError):
            check_users(users)


def test_every_user_is_created_for_both_scram_mechanisms_and_plain() -> None:
    users = {"alice": "a-1", "bob": "b-2"}
    assert format_arguments(users) == [
        "--add-scram", "SCRAM-SHA-256=[name=alice,password=a-1]",
        "--add-scram", "SCRAM-SHA-512=[name=alice,password=a-1]",
        "--add-scram", "SCRAM-SHA-256=[name=bob,password=b-2]",
        "--add-scram", "SCRAM-SHA-512=[name=bob,password=b-2]",
    ]
    plain = listener_settings(users)["listener.name.sasl_plaintext.plain.sasl.jaas.config"]
    assert plain == ('org.apache.kafka.common.security.plain.PlainLoginModule required '
                     'user_alice="a-1" user_bob="b-2";')


def test_the_written_client_configs_load_owner_only(tmp_path: Path) -> None:
    for path in write_client_configs(tmp_path, {"alice": "a-1"}):
        assert owner_only(path)
        config = load_client_config(path)
        assert (config.username, config.password and config.password.reveal()) == ("alice", "a-1")
    assert "SCRAM-SHA-256" in client_config_text("SCRAM-SHA-256", "u", "p")
