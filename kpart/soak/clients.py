"""The one place the soak builds kafka-python clients, with Java-like connection settings.

kafka-python's default ``reconnect_backoff_max_ms`` is 30,000 ms (Java's is 1,000 ms): after a
broker restart a member can stay away from the new coordinator long enough to be expelled while
it still believes it owns its partitions. The soak's clients use 1,000 ms.
"""

from __future__ import annotations

from typing import Any

RECONNECT_BACKOFF_MAX_MS = 1_000
SESSION_TIMEOUT_MS = 10_000
HEARTBEAT_INTERVAL_MS = 1_000
MAX_POLL_INTERVAL_MS = 10_000
METADATA_MAX_AGE_MS = 3_000


def connection_settings(bootstrap: str, proxy_url: str | None) -> dict[str, Any]:
    """Settings every soak client shares: bootstrap, the relay, Java-like reconnects, and the
    security settings of ``$KPART_CLIENT_CONFIG`` (``kpart soak --client-config``)."""
    from kpart.client_config import settings_for

    settings: dict[str, Any] = {
        **settings_for("kafka-python"),
        "bootstrap_servers": bootstrap.split(","),
        "reconnect_backoff_max_ms": RECONNECT_BACKOFF_MAX_MS,
        "metadata_max_age_ms": METADATA_MAX_AGE_MS,
    }
    if proxy_url:
        settings["proxy_url"] = proxy_url
    return settings


def make_consumer(cfg: dict[str, Any], listener_assignor: Any) -> Any:
    """A kafka-python ``KafkaConsumer`` for one soak member (``cfg`` as the worker gets it).

    ``listener_assignor``: the assignor instance (it reports leadership and generation).
    Offsets are committed by the worker (on revocation and periodically), never automatically.
    """
    from kafka import KafkaConsumer

    from strategies.kafka_python import attach

    return attach(KafkaConsumer(
        **connection_settings(cfg["bootstrap"], cfg.get("proxy_url")),
        group_id=cfg["group"],
        client_id=cfg["name"],
        group_instance_id=cfg.get("instance_id"),
        client_rack=cfg.get("rack") or "",  # None (not the default '') makes 3.0.12 fetch nothing
        partition_assignment_strategy=[listener_assignor],
        session_timeout_ms=SESSION_TIMEOUT_MS,
        heartbeat_interval_ms=HEARTBEAT_INTERVAL_MS,
        max_poll_interval_ms=MAX_POLL_INTERVAL_MS,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        allow_auto_create_topics=False,
    ))


def make_producer(cfg: dict[str, Any], partitioner: Any) -> Any:
    """A ``BoundedProducer`` (acks=all, idempotent) with a small ``buffer_memory``."""
    from partitioning.producer import BoundedProducer

    return BoundedProducer(
        **connection_settings(cfg["bootstrap"], cfg.get("proxy_url")),
        acks="all",
        enable_idempotence=True,
        buffer_memory=cfg.get("buffer_memory", 256 * 1024),
        max_block_ms=2_000,
        linger_ms=5,
        partitioner=partitioner,
    )
