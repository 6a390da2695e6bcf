"""Which ``pip install 'kpart[...]'`` extra brings which Kafka client.

The core (partitioners, assignors, simulator, CLI) needs no Kafka client; each client adapter
imports its client through :func:`require`, so a missing client fails with one line naming
the extra to install instead of a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

CLIENTS: dict[str, tuple[str, str]] = {
    "kafka": ("kafka-python", "kafka-python"),
    "aiokafka": ("aiokafka", "aiokafka"),
    "confluent_kafka": ("confluent-kafka", "confluent"),
}
"""Top-level module -> (distribution name, kpart extra)."""


class MissingClientError(ImportError):
    """A client adapter was used without its Kafka client installed."""


def missing_client(module: str, adapter: str) -> MissingClientError:
    """The error for ``adapter`` needing the client whose top-level module is ``module``."""
    dist, extra = CLIENTS[module]
    return MissingClientError(f"kpart's {adapter} adapter needs {dist}: pip install 'kpart[{extra}]'")


def require(module: str, adapter: str) -> ModuleType:
    """Import ``module`` (a client's module, e.g. ``"aiokafka.structs"``) for ``adapter``.

    Raises :class:`MissingClientError` naming the extra when the client is not installed; any
    other import failure (a broken installation) propagates unchanged.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = module.partition(".")[0]
        if exc.name is not None and exc.name.partition(".")[0] == top and top in CLIENTS:
            raise missing_client(top, adapter) from None
        raise


def import_adapter(adapter_module: str, adapter: str) -> ModuleType:
    """Import one of our adapter modules (e.g. ``partitioning.kafka_python``), translating a
    missing client into :class:`MissingClientError`."""
    try:
        return importlib.import_module(adapter_module)
    except ModuleNotFoundError as exc:
        top = (exc.name or "").partition(".")[0]
        if top in CLIENTS:
            raise missing_client(top, adapter) from None
        raise
