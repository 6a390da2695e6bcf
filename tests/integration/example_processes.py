"""Running the examples as a user would: a script to completion, or a consumer in the background."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import threading
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class ConsumerProcess:
    """One consumer example process (``partition_consumer.py`` unless ``script`` names another),
    with the partitions it currently owns, read from its ``NAME assigned|revoked [...]`` lines."""

    LINE = re.compile(r"^(\S+) (assigned|revoked) (\[.*\])$")

    def __init__(self, name: str, *args: str, script: str = "partition_consumer.py") -> None:
        self.name = name
        self.owned: set[int] = set()
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-u", str(EXAMPLES / script), "--name", name, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            match = self.LINE.match(line.strip())
            if match and match.group(1) == self.name:
                changed = set(ast.literal_eval(match.group(3)))
                self.owned = self.owned | changed if match.group(2) == "assigned" else self.owned - changed

    def has_read_since(self, line_number: int) -> bool:
        return any(" read partition=" in line for line in self.lines[line_number:])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
