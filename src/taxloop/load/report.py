"""The load report: rows read, loaded and quarantined per table and rule; printed (zh/en) and saved as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table


class TableReport(BaseModel):
    """What happened to one contract table."""

    table: str
    status: Literal["loaded", "skipped"]
    files: list[str] = Field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    by_rule: dict[str, int] = Field(default_factory=dict)
    rows_replaced: int = 0
    rows_in_warehouse: int = 0
    quarantine_in_warehouse: int = 0
    extra_columns: list[str] = Field(default_factory=list)
    missing_optional_columns: list[str] = Field(default_factory=list)


class LoadReport(BaseModel):
    """The report of one load (returned by ``load_dataset``, saved as ``reports/load-<load_id>.json``)."""

    load_id: str
    dataset: str
    warehouse: str
    started_at: str
    finished_at: str = ""
    seconds: float = 0.0
    tables: list[TableReport] = Field(default_factory=list)
    ignored: list[str] = Field(default_factory=list)
    same_as_load: str | None = None
    warnings: list[str] = Field(default_factory=list)

    def table(self, name: str) -> TableReport:
        """The report of table ``name``."""
        for t in self.tables:
            if t.table == name:
                return t
        raise KeyError(f"table {name!r} is not in the load report")

    @property
    def loaded(self) -> list[TableReport]:
        """Tables that were delivered and loaded."""
        return [t for t in self.tables if t.status == "loaded"]

    @property
    def skipped(self) -> list[str]:
        """Contract tables absent from the data set."""
        return [t.table for t in self.tables if t.status == "skipped"]

    @property
    def rows_read(self) -> int:
        """Data rows read over every table."""
        return sum(t.rows_read for t in self.tables)

    @property
    def rows_loaded(self) -> int:
        """Rows loaded over every table."""
        return sum(t.rows_loaded for t in self.tables)

    @property
    def rows_quarantined(self) -> int:
        """Rows quarantined over every table."""
        return sum(t.rows_quarantined for t in self.tables)

    def save(self, reports_dir: Path) -> Path:
        """Write the report as JSON into ``reports_dir``; returns the file."""
        reports_dir.mkdir(parents=True, exist_ok=True)
        path = reports_dir / f"load-{self.load_id}.json"
        path.write_text(json.dumps(self.model_dump(), ensure_ascii=False, indent=2), encoding="utf-8")
        return path


def render(report: LoadReport, console: Console) -> None:
    """Print the report as a rich table with Chinese and English headers."""
    grid = Table(title=f"Load report / 加载报告  {report.load_id}", show_footer=True)
    grid.add_column("table / 表", footer="total / 合计")
    grid.add_column("read / 读取", justify="right", footer=f"{report.rows_read:,}")
    grid.add_column("loaded / 入库", justify="right", footer=f"{report.rows_loaded:,}")
    grid.add_column("quarantined / 隔离", justify="right", footer=f"{report.rows_quarantined:,}")
    grid.add_column("by rule / 按规则")
    grid.add_column("replaced / 替换", justify="right")
    grid.add_column("in warehouse / 仓库行数", justify="right")
    for t in report.tables:
        if t.status == "skipped":
            grid.add_row(t.table, "[dim]skipped / 未提供[/]", "", "", "", "", "")
            continue
        rules = ", ".join(f"{k}={v:,}" for k, v in sorted(t.by_rule.items()))
        quarantined = f"[yellow]{t.rows_quarantined:,}[/]" if t.rows_quarantined else "0"
        grid.add_row(
            t.table,
            f"{t.rows_read:,}",
            f"{t.rows_loaded:,}",
            quarantined,
            rules,
            f"{t.rows_replaced:,}",
            f"{t.rows_in_warehouse:,}",
        )
    console.print(grid)
    if report.ignored:
        console.print(f"ignored / 已忽略: {', '.join(report.ignored)}")
    if report.same_as_load:
        console.print(f"same files as load / 与此前加载相同: {report.same_as_load} (no rows duplicated / 未重复入库)")
    for warning in report.warnings:
        console.print(f"warning / 警告: {warning}", style="yellow", markup=False)
    console.print(f"{report.seconds:.1f} s")
