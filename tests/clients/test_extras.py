"""kpart.extras: a missing client names its extra; other import failures are not disguised."""

from __future__ import annotations

import sys

import pytest

from kpart.extras import MissingClientError, import_adapter, require


def test_a_missing_client_module_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiokafka", None)  # import of it raises ModuleNotFoundError
    with pytest.raises(MissingClientError, match=r"^kpart's aiokafka adapter needs aiokafka: "
                                                 r"pip install 'kpart\[aiokafka\]'$"):
        require("aiokafka", "aiokafka")


def test_other_missing_modules_propagate_unchanged() -> None:
    with pytest.raises(ModuleNotFoundError) as info:
        require("no_such_module_kpart", "aiokafka")
    assert not isinstance(info.value, MissingClientError)
    with pytest.raises(ModuleNotFoundError) as info:
        import_adapter("partitioning.no_such_adapter", "aiokafka")
    assert not isinstance(info.value, MissingClientError)


def test_an_installed_client_is_returned() -> None:
    assert require("confluent_kafka", "confluent-kafka").__name__ == "confluent_kafka"
