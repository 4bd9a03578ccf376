"""Commands for loading data sets (issue 2): ``taxloop load DATASET_DIR --warehouse DIR``, and ``taxloop keys``
(integer TIN keys for tables written into the warehouse by other means)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from taxloop.cli.common import WarehouseOpt, console, fail


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this area's commands to the root app (and to ``taxloop export``)."""

    @app.command("load")
    def load(
        dataset: Annotated[Path, typer.Argument(help="Data set folder (contract v1) / 数据集目录")],
        warehouse: WarehouseOpt = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar / 不显示进度")] = False,
    ) -> None:
        """Validate a data set against the contract and load it into the warehouse / 校验并加载数据集."""
        from taxloop.bootstrap import load_settings
        from taxloop.load import LoadError, load_dataset
        from taxloop.load.report import render

        settings = load_settings(warehouse=warehouse)
        try:
            report = load_dataset(
                dataset,
                settings.warehouse,
                memory_limit=settings.memory_limit,
                threads=settings.threads,
                progress=not quiet,
            )
        except LoadError as exc:
            unchanged = "nothing was loaded; the warehouse is unchanged / 未加载任何数据，仓库保持不变"
            raise fail(f"{exc}\n{unchanged}") from None
        render(report, console)
        console.print(f"report / 报告: {Path(report.warehouse) / 'reports' / f'load-{report.load_id}.json'}")

    @app.command("keys")
    def keys(warehouse: WarehouseOpt = None) -> None:
        """Write integer TIN keys into tables not written by `taxloop load` / 为非加载写入的表生成纳税人整数键.

        The loader keys what it loads; this is for tables copied into `tables/` by other means, and for a warehouse
        keyed before the key manifest (its keys are verified and recorded, not rewritten). It also writes the month
        table `derived/tin_months` (the four monthly tables joined once) when it is missing or out of date. Scans
        run without keys or month table too (they look keys up and join the tables at scan time), only slower.
        """
        from taxloop.analytics.warehouse import Warehouse
        from taxloop.bootstrap import load_settings
        from taxloop.load.keys import index_warehouse
        from taxloop.load.stage import has_parts

        settings = load_settings(warehouse=warehouse)
        wh = Warehouse(settings.warehouse)
        if not has_parts(wh.table_dir("taxpayers")):
            raise fail(f"no warehouse tables at {settings.warehouse} / 仓库中没有数据表")
        with console.status("keying / 生成整数键"):
            run = index_warehouse(wh, settings.memory_limit, settings.threads)
        for name, secs in run.seconds.items():
            console.print(f"{name}: {secs:.1f} s")
        for name, secs in run.skipped.items():
            how = "keys verified and recorded / 键已核对并记录" if name in run.verified else "keys right / 键已正确"
            console.print(f"{name}: not rewritten, {how}未重写 ({secs:.1f} s)")
        for warning in run.warnings:
            console.print(f"[yellow]{warning}[/yellow]")
