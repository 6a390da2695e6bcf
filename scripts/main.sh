#!/usr/bin/env bash
# Set up, then run the main job: compare assignment strategies on the built-in scenario (no broker).
# Extra arguments go to `kpart compare`, e.g. `bash scripts/main.sh examples/scenarios/rack-outage.yaml`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh plot
exec .venv/bin/kpart compare "$@"
