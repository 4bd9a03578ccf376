"""Merge semantics: a re-delivered key replaces the old row; a re-delivered file replaces its quarantine."""

from __future__ import annotations

from pathlib import Path

import duckdb

from load_fixtures import TAXPAYERS_HEADER, TAXPAYERS_ROWS, VAT_HEADER, write_csv
from taxloop.analytics.warehouse import Warehouse
from taxloop.load import load_dataset


def _rows(wh: Warehouse, table: str, sql: str, area: str = "tables") -> list[tuple[object, ...]]:
    glob = wh.table_dir(table, area) / "*.parquet"
    return duckdb.sql(sql.format(t=f"read_parquet('{glob}')")).fetchall()


def test_second_delivery_updates_and_adds(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    d1 = tmp_path / "d1"
    write_csv(d1 / "taxpayers.csv", TAXPAYERS_HEADER, TAXPAYERS_ROWS)
    write_csv(
        d1 / "vat_returns.csv", VAT_HEADER, ["A,2024-01,2024-02-15,1,,1,1,0,x", "A,2024-02,2024-03-15,2,,1,1,0,x"]
    )
    load_dataset(d1, wh)
    d2 = tmp_path / "d2"  # only vat_returns: taxpayers stays as loaded before
    rows = ["A,2024-02,2024-03-20,5,,1,1,0,y", "A,2024-03,2024-04-15,3,,1,1,0,y", "A,2024-04,bad,3,,1,1,0,y"]
    write_csv(d2 / "vat_returns.csv", VAT_HEADER, rows)
    report = load_dataset(d2, wh)
    vat = report.table("vat_returns")
    assert (vat.rows_loaded, vat.rows_replaced, vat.rows_in_warehouse) == (2, 1, 3)
    assert report.table("taxpayers").status == "skipped"
    got = _rows(wh, "vat_returns", "SELECT period, sales, channel FROM {t} ORDER BY 1")
    assert [(p, float(s), c) for p, s, c in got] == [
        ("2024-01", 1.0, "x"),
        ("2024-02", 5.0, "y"),
        ("2024-03", 3.0, "y"),
    ]
    assert _rows(wh, "taxpayers", "SELECT count(*) FROM {t}") == [(4,)]
    # loading d2 again leaves its quarantine row once, not twice
    load_dataset(d2, wh)
    assert _rows(wh, "vat_returns", "SELECT count(*), min(_rule) FROM {t}", "quarantine") == [(1, "bad_date")]
    assert _rows(wh, "vat_returns", "SELECT count(*) FROM {t}") == [(3,)]
