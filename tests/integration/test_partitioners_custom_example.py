"""A user writes a custom partitioner (examples/custom_partitioner.py), registers it, and the
records land where its offline prediction said."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kafka.partitioner.default import murmur2

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_partitioner.py"


def run(*args: str) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "tenant" in result.stdout.splitlines()[0]  # registered under its name
    return {k: int(p) for k, p in re.findall(r"^(\S+)\s+-> partition (\d+)$", result.stdout, re.M)}


def test_custom_partitioner_example_predicts_and_produces_alike(kafka_bootstrap: str) -> None:
    offline = run("--partitions", "6")
    live = run("--bootstrap", kafka_bootstrap, "--topic", f"tenants-{uuid.uuid4().hex[:8]}")
    assert len(offline) == 9
    assert live == offline
    for key, partition in offline.items():
        tenant = key.split(":")[0].encode()
        assert partition == (murmur2(tenant) & 0x7FFFFFFF) % 6
