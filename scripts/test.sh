#!/usr/bin/env bash
# Set up, then run the whole test suite: lint, unit, property and integration tests.
# Integration tests use $KAFKA_BOOTSTRAP if set, else start a local Kafka broker themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check --quiet . && echo "lint: ruff found no problems"
.venv/bin/mypy >/dev/null && echo "types: mypy --strict found no problems in partitioning/ and strategies/" \
    || { .venv/bin/mypy; exit 1; }
echo "tests: pytest (the whole suite takes about 17 minutes on 2 cores; the 15 slowest tests are listed at the end)"
exec .venv/bin/python -m pytest --durations=15 "$@"
