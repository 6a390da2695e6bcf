"""``kpart soak`` refuses bad arguments with one line, before starting anything."""

from __future__ import annotations

import pytest

from kpart.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--duration", "5"], "kpart: --duration must be at least 30 s, got 5"),
        (["--members", "9"], "kpart: --members must be 1..8, got 9"),
        (["--strategies", "range,fastest"], "kpart: soak failed: unknown strategy"),
        (["--strategies", "sticky+moon"], "kpart: soak failed: unknown strategy 'sticky+moon'"),
    ],
)
def test_bad_arguments_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["soak", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err


def test_unknown_fault_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["soak", "--faults", "broker_kill,meteor"])
    assert info.value.code == 2
    assert "unknown fault 'meteor'" in capsys.readouterr().err
