"""Helpers for tests that talk to a real broker."""

from __future__ import annotations

import time


def create_topic(bootstrap: str, name: str, partitions: int, replication: int = 1) -> str:
    """Create ``name`` and wait until every partition has a leader."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    try:
        admin.create_topics([NewTopic(name, partitions, replication)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            described = admin.describe_topics([name])[0]
            ready = [p for p in described.get("partitions", []) if p.get("leader_id", -1) >= 0]
            if described.get("error_code", 0) == 0 and len(ready) == partitions:
                return name
            time.sleep(0.1)
        raise AssertionError(f"topic {name} did not get leaders for {partitions} partitions in 30 s")
    finally:
        admin.close()
