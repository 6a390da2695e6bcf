"""Version-gated work-arounds for Kafka clients: one module per client, nothing else reaches in."""
