"""Export a scan in the contract's ``risk_list`` form (one row per resolved taxpayer, in rank order)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from taxloop.analytics.backend import AnalyticsBackend

RISK_LIST_COLUMNS = ("rank", "entity_id", "tins", "score", "level", "indicators", "selection")


class NoScanError(LookupError):
    """There is no scan in the warehouse (or not the one asked for)."""


def latest_scan_id(backend: AnalyticsBackend) -> str:
    """The newest scan id stored in ``risk_scores``."""
    if not backend.has_table("risk_scores"):
        raise NoScanError("no risk_scores in the warehouse: run `taxloop scan` first / 请先运行 taxloop scan")
    rows = backend.query("SELECT MAX(scan_id) AS s FROM risk_scores").column("s").to_pylist()
    if not rows or rows[0] is None:
        raise NoScanError("risk_scores is empty: run `taxloop scan` first / 请先运行 taxloop scan")
    return str(rows[0])


def risk_list(backend: AnalyticsBackend, scan_id: str | None = None) -> pa.Table:
    """The ``risk_list`` rows of one scan (default: the latest), sorted by rank."""
    scan_id = scan_id or latest_scan_id(backend)
    safe = scan_id.replace("'", "''")
    table = backend.query(
        "SELECT rank, entity_id, COALESCE(tins, '') AS tins, score, level, COALESCE(indicators, '') AS indicators,"
        f" COALESCE(selection, '') AS selection FROM risk_scores WHERE scan_id = '{safe}' ORDER BY rank"
    )
    if table.num_rows == 0:
        raise NoScanError(f"scan {scan_id!r} not found in risk_scores / 未找到该扫描")
    return table.select(list(RISK_LIST_COLUMNS))


def write_risk_list(table: pa.Table, out: Path) -> int:
    """Write the list as UTF-8 CSV with a header row (RFC 4180 quoting); returns rows written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cast = table.set_column(
        table.schema.get_field_index("rank"), "rank", table.column("rank").cast(pa.int64())
    ).set_column(table.schema.get_field_index("score"), "score", table.column("score").cast(pa.float64()))
    pacsv.write_csv(cast, out, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return int(table.num_rows)
