"""Warehouse I/O of the integrity area: imported logs into ``tables/``, the integrity list out as CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.analytics.warehouse import Warehouse

INTEGRITY_LIST_COLUMNS = ("rank", "officer_id", "score", "indicators", "evidence")


def write_table_part(warehouse: Warehouse, table: str, part: str, data: pa.Table) -> Path:
    """Write (or replace) ``tables/<table>/<part>.parquet``; returns the file written."""
    folder = warehouse.ensure().table_dir(table, "tables")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{part}.parquet"
    tmp = folder / f".{part}.parquet.tmp"
    pq.write_table(data, tmp, compression="zstd")
    tmp.replace(target)
    return target


def write_imported_log(warehouse: Warehouse, name: str, ops: pa.Table, officers: pa.Table) -> list[Path]:
    """Store an imported event log as parts of ``operation_log`` and ``officers`` named after the log."""
    return [
        write_table_part(warehouse, "operation_log", f"eventlog_{name}", ops),
        write_table_part(warehouse, "officers", f"eventlog_{name}", officers),
    ]


def export_integrity_list(backend: AnalyticsBackend, out: Path) -> int:
    """Write the contract's ``integrity_list`` (every officer, rank order) to CSV; returns the rows written."""
    if not backend.has_table("integrity_scores"):
        raise FileNotFoundError(
            "no integrity_scores in the warehouse: run `taxloop integrity scan` first / 请先运行廉政扫描"
        )
    cols = ", ".join(INTEGRITY_LIST_COLUMNS)
    data = backend.query(f"SELECT {cols} FROM integrity_scores ORDER BY rank")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(INTEGRITY_LIST_COLUMNS)
        for batch in data.to_batches(max_chunksize=65536):
            columns = [batch.column(c).to_pylist() for c in INTEGRITY_LIST_COLUMNS]
            for row in zip(*columns, strict=True):
                writer.writerow(["" if v is None else (f"{v:.4f}" if isinstance(v, float) else v) for v in row])
    return int(data.num_rows)
