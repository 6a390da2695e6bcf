"""One JSON line per event, stamped with the machine-wide monotonic clock.

``time.monotonic()`` is CLOCK_MONOTONIC on Linux, shared by every process on the machine, so
events logged by different members compare directly. Each line is flushed at once: a process
killed with SIGKILL loses nothing it logged.
"""

from __future__ import annotations

import ctypes
import json
import signal
import threading
import time
from pathlib import Path
from typing import IO, Any

PR_SET_PDEATHSIG = 1


class EventLog:
    """Append-only JSON-lines log, safe to write from several threads."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = Path(path).open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, event: str, **fields: Any) -> None:
        line = json.dumps({"ev": event, "t": time.monotonic(), **fields}, separators=(",", ":"))
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read_events(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a log (a line cut by SIGKILL is dropped)."""
    out = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


class LogTail:
    """The events of a log that is still being written, read incrementally: each :meth:`read`
    parses only the complete lines appended since the previous one (a line not yet ended by a
    newline waits for the next read), so following a long soak's logs costs what they grew by,
    not their size. A line cut by SIGKILL is never returned, as with :func:`read_events`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.offset = 0
        self.events: list[dict[str, Any]] = []

    def read(self) -> list[dict[str, Any]]:
        """Every complete event so far (the same list, grown)."""
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return self.events
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            try:
                self.events.append(json.loads(line))
            except ValueError:
                continue
        self.offset += end
        return self.events


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux), so a soak
    interrupted by Ctrl-C or a crash leaves no client behind."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
