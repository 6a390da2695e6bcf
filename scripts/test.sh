#!/usr/bin/env bash
# Set up, then run the whole test suite: lint, unit, property and integration tests.
# Integration tests use $KAFKA_BOOTSTRAP if set, else start a local Kafka broker themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
