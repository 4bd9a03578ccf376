"""Allow ``python -m taxloop``."""

from taxloop.cli.main import run

run()
