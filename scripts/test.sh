#!/usr/bin/env bash
# The README's test command: every test (unit, integration, PostgreSQL, Spark, real data, e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m pytest -n 2 --dist loadfile -q "$@"
