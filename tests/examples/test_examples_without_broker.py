"""A new user without a broker: every example says so in one line and exits at once."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("example", ["partition_producer.py", "partition_consumer.py", "basic_producer.py",
                                     "tour.py", "custom_partitioner.py"])
def test_an_example_with_no_broker_says_so_in_one_line_within_seconds(example: str) -> None:
    port = closed_port()
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(EXAMPLES / example), "--bootstrap", f"127.0.0.1:{port}"],
                            capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 5 + 5  # 5 s of interpreter start-up on a loaded machine
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: no Kafka broker answered at 127.0.0.1:{port}")
