"""One Java reference JVM for the whole test session (Java's assignors and the broker's).

With ``CI=true`` a missing Java or Maven is a failure, never a skip.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kpart.reference import JavaReference, JavaReferenceError
from tests.conftest import unavailable


@pytest.fixture(scope="session")
def java() -> Iterator[JavaReference]:
    """The session's running :class:`JavaReference`."""
    reference = JavaReference(heap="1g")
    try:
        reference.start()
    except JavaReferenceError as exc:
        unavailable("no Java reference", str(exc))
    try:
        yield reference
    finally:
        reference.close()


@pytest.fixture(scope="session")
def java_4_0() -> Iterator[JavaReference]:
    """A :class:`JavaReference` on the Kafka 4.0.0 jars (the broker's assignors before 4.1)."""
    reference = JavaReference(heap="512m", kafka_version="4.0.0")
    try:
        reference.start()
    except JavaReferenceError as exc:
        unavailable("no Java reference for Kafka 4.0.0", str(exc))
    try:
        yield reference
    finally:
        reference.close()
