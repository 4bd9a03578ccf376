"""Commands for the synthetic city (issue 2): ``taxloop synth OUT_DIR``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from taxloop.cli.common import console, fail


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this area's commands to the root app (and to ``taxloop export``)."""

    @app.command("synth")
    def synth(
        out_dir: Annotated[Path, typer.Argument(help="Output folder / 输出目录")],
        taxpayers: Annotated[int, typer.Option("--taxpayers", "-n", help="Number of taxpayers / 纳税人数量")] = 2000,
        months: Annotated[int, typer.Option("--months", "-m", help="Months of data / 月数")] = 24,
        seed: Annotated[int, typer.Option("--seed", help="Random seed (reproducible) / 随机种子")] = 7,
        start: Annotated[str, typer.Option("--start", help="First period YYYY-MM / 起始期间")] = "2023-01",
        fmt: Annotated[str, typer.Option("--format", help="csv or parquet / 输出格式")] = "csv",
        invoices_per_month: Annotated[
            float, typer.Option("--invoices-per-month", help="Mean invoices per firm and month / 每户每月平均发票数")
        ] = 2.5,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar / 不显示进度")] = False,
    ) -> None:
        """Generate a synthetic city with planted schemes and a truth/ folder / 生成带标注风险的合成城市数据."""
        from taxloop.synth.city import generate_city
        from taxloop.synth.params import SynthParams

        if fmt not in ("csv", "parquet"):
            raise fail(f"--format must be csv or parquet, not {fmt!r} / 输出格式须为 csv 或 parquet")
        if out_dir.exists() and any(out_dir.iterdir()):
            raise fail(f"{out_dir} exists and is not empty / 输出目录已存在且非空")
        try:
            params = SynthParams(taxpayers=taxpayers, months=months, seed=seed, start=start,
                                 fmt=fmt, invoices_per_firm_month=invoices_per_month)  # type: ignore[arg-type]
        except ValueError as exc:
            raise fail(str(exc)) from None
        t0 = time.perf_counter()
        counts = generate_city(out_dir, params, show_progress=not quiet)
        console.print(f"[green]wrote / 已写入[/] {out_dir} in {time.perf_counter() - t0:.1f}s")
        for table, rows in counts.items():
            console.print(f"  {table:<22} {rows:>12,}")
