"""Commands for learned risk models (issue 7)."""

from __future__ import annotations

import typer


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this area's commands to the root app (and to ``taxloop export``)."""
