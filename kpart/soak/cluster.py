"""The soak's three-node cluster: racks per node, kill -9 and restart of one node, and who
leads what (partition leaders, a group's coordinator)."""

from __future__ import annotations

import contextlib
import os
import signal
from typing import Any

from kpart.broker import LocalCluster, Node, ensure_jars, java_executable

OFFSETS_TOPIC_PARTITIONS = 10  # LocalCluster's offsets.topic.num.partitions


def rack_of(node_id: int) -> str:
    return f"rack-{node_id}"


class SoakCluster(LocalCluster):
    """A :class:`~kpart.broker.LocalCluster` whose node ``i`` sits in rack ``rack-i``."""

    def _write_config(self, node: Node) -> None:
        super()._write_config(node)
        with (node.directory / "server.properties").open("a") as f:
            f.write(f"broker.rack={rack_of(node.node_id)}\n")

    def node(self, node_id: int) -> Node:
        return next(n for n in self.nodes if n.node_id == node_id)

    def kill(self, node_id: int) -> None:
        """SIGKILL one node's JVM (no controlled shutdown)."""
        pid = self.pid(self.node(node_id))
        if pid > 0:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc = self._processes.get(node_id)
        if proc is not None:
            proc.wait(timeout=30)

    def restart(self, node_id: int) -> None:
        """Start a killed node again on its storage (returns at once; it serves a few s later)."""
        self._launch(java_executable(), str(ensure_jars() / "*"), self.node(node_id))


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode`` (signed 32-bit) for BMP text."""
    h = 0
    for ch in text:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def coordinator_partition(group: str) -> int:
    """The ``__consumer_offsets`` partition whose leader coordinates ``group``
    (``Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`` in the broker)."""
    h = java_string_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % OFFSETS_TOPIC_PARTITIONS


def leaders(admin: Any, topic: str) -> dict[int, int]:
    """partition -> leader node id (-1 while leaderless), from a fresh metadata request."""
    described = admin.describe_topics([topic])
    return {p.get("partition_index", p.get("partition")): p.get("leader_id", p.get("leader"))
            for t in described for p in t["partitions"]}
