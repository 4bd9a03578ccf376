"""Line numbers stay exact on a CSV large enough to be read in parallel, with malformed rows in between."""

from __future__ import annotations

from pathlib import Path

import duckdb

from load_fixtures import TAXPAYERS_HEADER
from taxloop.analytics.warehouse import Warehouse
from taxloop.load import load_dataset


def test_src_line_matches_the_file_line(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    n = 120_000
    bad = {1_000, 60_001, 60_002, 119_999}  # rows with a missing field (malformed)
    duckdb.sql(
        "COPY (SELECT CAST(i AS VARCHAR) AS registration_id, 'T' || i AS tin, '名' || i AS name, 'enterprise' AS kind,"
        " NULL AS legal_rep_id, NULL AS legal_rep_name, NULL AS finance_officer_id, '深圳 \"A\", ' || i AS address,"
        " NULL AS phone, 'C3911' AS industry_code, '440305' AS region_code, 'general' AS vat_status,"
        " (i % 1000) || '.25' AS registered_capital, '2015-03-01' AS registered_on, NULL AS deregistered_on,"
        f" 'normal' AS status FROM range(1, {n + 1}) t(i)) TO '{tmp_path / 'tp.csv'}' (HEADER true)"
    )
    lines = (tmp_path / "tp.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == TAXPAYERS_HEADER
    for i in bad:
        lines[i] = lines[i].rsplit(",", 1)[0]
    (data / "taxpayers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    wh = Warehouse(tmp_path / "wh")
    tp = load_dataset(data, wh, threads=2).table("taxpayers")
    assert (tp.rows_read, tp.rows_loaded, tp.by_rule) == (n, n - len(bad), {"malformed_row": len(bad)})
    glob = wh.table_dir("taxpayers") / "*.parquet"
    wrong = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}') WHERE _src_line <> CAST(registration_id AS INT)")
    assert wrong.fetchall() == [(0,)]
    qglob = wh.table_dir("taxpayers", "quarantine") / "*.parquet"
    got = {r[0] for r in duckdb.sql(f"SELECT _src_line FROM read_parquet('{qglob}')").fetchall()}
    assert got == bad
