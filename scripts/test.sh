#!/usr/bin/env bash
# The README's test command: every test (unit, integration, PostgreSQL, Spark, real data, web end-to-end),
# two workers. Uses the active virtual environment, else .venv (made by scripts/demo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python ]; then
  . .venv/bin/activate
fi
exec python -m pytest -n 2 --dist loadfile -q -p no:cacheprovider "$@"
