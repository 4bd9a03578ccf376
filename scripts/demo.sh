#!/usr/bin/env bash
# One command on a fresh machine: install taxloop into .venv and run the closed loop on a synthetic city
# (DuckDB + SQLite, no server). Extra arguments go to `taxloop demo`, e.g. --taxpayers 20000.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/taxloop ]; then
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
fi
exec .venv/bin/taxloop demo taxloop-demo "$@"
