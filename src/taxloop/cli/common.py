"""Options and helpers shared by every command module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", "-w", help="Warehouse folder / 数据仓库目录 (default: TAXLOOP_WAREHOUSE)"),
]
BackendOpt = Annotated[str | None, typer.Option("--backend", help="Analytics backend: duckdb or spark / 分析引擎")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Random seed (reproducible) / 随机种子")]

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a clear error in red and return an Exit to raise."""
    err_console.print(f"[bold red]error / 错误:[/] {message}")
    return typer.Exit(code)
