#!/usr/bin/env bash
# Create .venv (if missing) and install the project into it with the extras named by $1
# (default: test, which includes everything the test suite needs). One line per step.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-test}"
started=$SECONDS
if [ ! -x .venv/bin/python ]; then
    echo "setup: creating .venv with $(python3 --version)"
    python3 -m venv .venv
fi
echo "setup: upgrading pip"
.venv/bin/python -m pip install -qq --upgrade pip
echo "setup: installing kpart and its [$extras] extras into .venv (a fresh install: up to a minute)"
.venv/bin/python -m pip install -qq -e ".[$extras]"
echo "setup: done in $((SECONDS - started)) s"
