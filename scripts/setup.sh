#!/usr/bin/env bash
# Create .venv (if missing) and install the project into it with the extras named by $1
# (default: test, which includes everything the test suite needs).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -qq --upgrade pip
.venv/bin/python -m pip install -qq -e ".[${1:-test}]"
