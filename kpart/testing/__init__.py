"""Conformance kit: verify your own assignor or partitioner, from pytest or ``kpart check``.

>>> from kpart.testing import check_assignor, check_partitioner
>>> check_assignor(MyAssignor, protocol="cooperative", max_members=50)   # raises on a failure
>>> check_partitioner(MyPartitioner, reference="murmur2", profile="thorough")

Each property is named after the guarantee it checks; a failure carries the shrunk input as a
ready-to-paste pytest case calling :func:`replay`. Profiles: ``quick`` (CI) and ``thorough``
(nightly), also registered as hypothesis profiles ``kpart-quick`` and ``kpart-thorough``.

The suites need the ``testing`` extra (hypothesis, networkx): ``pip install 'kpart[testing]'``.
The plain checks (``check_valid`` and friends) and :class:`Case` need nothing more.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from kpart.testing.assignment_checks import (
    Violation,
    check_no_steal,
    check_only_subscribed,
    check_owned_once,
    check_spread,
    check_valid,
    identical,
    retained,
    spread,
    subscribed_partitions,
)
from kpart.testing.rebalance import Case

_SUITE = ("check_assignor", "check_partitioner", "replay", "ConformanceError", "PROFILES",
          "assignor_subject", "partitioner_subject")
EXTRA_MODULES = ("hypothesis", "networkx")


class KitUnavailable(ImportError):
    """The ``testing`` extra is not installed."""


def require_extra() -> None:
    """Raise :class:`KitUnavailable`, naming what is missing, unless the extra is installed."""
    missing = [m for m in EXTRA_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise KitUnavailable(f"the conformance kit needs the 'testing' extra: pip install "
                             f"'kpart[testing]' (missing: {', '.join(missing)})")


def __getattr__(name: str) -> Any:
    if name in _SUITE:
        require_extra()
        from kpart.testing import suite

        return getattr(suite, name)
    raise AttributeError(f"module 'kpart.testing' has no attribute {name!r}")


__all__ = [
    "Case",
    "KitUnavailable",
    "Violation",
    "check_no_steal",
    "check_only_subscribed",
    "check_owned_once",
    "check_spread",
    "check_valid",
    "identical",
    "require_extra",
    "retained",
    "spread",
    "subscribed_partitions",
    *_SUITE,
]
