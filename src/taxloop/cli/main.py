"""Root of the ``taxloop`` CLI: builds the Typer app from every area's ``register`` function."""

from __future__ import annotations

import importlib

import typer

from taxloop import __version__

AREA_MODULES = (
    "synth_cmd",
    "load_cmd",
    "risk_cmd",
    "entity_cmd",
    "workflow_cmd",
    "catalogue_cmd",
    "integrity_cmd",
    "models_cmd",
    "hub_cmd",
    "api_cmd",
    "demo_cmd",
)


def build_app() -> typer.Typer:
    """Assemble the CLI (called at run time, not import time)."""
    app = typer.Typer(
        name="taxloop",
        help="taxloop — tax risk management and integrity risk control / 税收风险管理与廉政风险防控平台",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    export_app = typer.Typer(
        help="Export results in the contract's forms / 按数据契约格式导出结果", no_args_is_help=True
    )

    @app.command()
    def version() -> None:
        """Print the version / 显示版本."""
        typer.echo(__version__)

    for name in AREA_MODULES:
        module = importlib.import_module(f"taxloop.cli.{name}")
        module.register(app, export_app)
    app.add_typer(export_app, name="export")
    return app


def run() -> None:
    """Entry point of the ``taxloop`` script."""
    build_app()()
