"""load_dataset on a small valid data set: types, lineage, extras, provider, report, ledger, idempotence."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from load_fixtures import small_dataset
from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.load import LoadReport, load_dataset


def _count(folder: Path) -> int:
    return int(duckdb.sql(f"SELECT count(*) FROM read_parquet('{folder}/*.parquet')").fetchall()[0][0])


@pytest.fixture()
def loaded(tmp_path: Path) -> tuple[LoadReport, Warehouse]:
    data = small_dataset(tmp_path / "data")
    (data / "README.md").write_text("notes", encoding="utf-8")
    (data / "truth").mkdir()
    (data / "truth" / "gangs.csv").write_text("gang_id,tin,role\n", encoding="utf-8")
    wh = Warehouse(tmp_path / "wh")
    return load_dataset(data, wh), wh


def test_every_row_is_loaded_and_counted(loaded: tuple[LoadReport, Warehouse]) -> None:
    report, wh = loaded
    expected = {"taxpayers": 4, "vat_returns": 3, "invoices": 9, "operation_log": 3, "land_parcels": 2}
    assert {t.table: t.rows_loaded for t in report.loaded} == expected
    assert report.rows_quarantined == 0 and report.rows_read == sum(expected.values())
    for name, n in expected.items():
        assert _count(wh.table_dir(name)) == n
        assert _count(wh.table_dir(name, "quarantine")) == 0
    assert "cit_returns" in report.skipped and "taxpayers" not in report.skipped
    assert sorted(report.ignored) == ["README.md", "truth"]


def test_types_lineage_extras_and_provider(loaded: tuple[LoadReport, Warehouse]) -> None:
    _, wh = loaded
    be = DuckDBBackend(wh)
    types = {r[0]: r[1] for r in be.con.execute("DESCRIBE vat_returns").fetchall()}
    assert types["sales"] == "DECIMAL(18,2)" and types["filed_on"] == "DATE" and types["period"] == "VARCHAR"
    assert types["channel"] == "VARCHAR" and types["_src_line"] == "BIGINT"  # extra column kept as text
    row = be.query("SELECT * FROM vat_returns WHERE period = '2024-02'").to_pylist()[0]
    assert row["sales"] == Decimal("120000.50") and row["channel"] == "web"
    assert row["_src_file"].endswith("vat_returns.csv") and row["_src_line"] == 2
    tp = be.query("SELECT tin, address, registered_capital FROM taxpayers WHERE registration_id = 'R001'")
    assert tp.to_pylist()[0] == {
        "tin": "00912345678901234X",  # leading zeros kept
        "address": "深圳市南山区, 1号",
        "registered_capital": Decimal("1000000.00"),
    }
    parts = be.query("SELECT _src_file, max(_src_line) AS m FROM invoices GROUP BY 1 ORDER BY 1").to_pylist()
    assert [(Path(p["_src_file"]).name, p["m"]) for p in parts] == [("part-0.parquet", 5), ("part-1.parquet", 4)]
    # a float amount holding two decimals is stored exactly
    assert be.query("SELECT tax_amount FROM invoices WHERE invoice_id = 'INV000007'").column(0)[0].as_py() == Decimal(
        "130.02"
    )
    ts = be.query("SELECT typeof(ts) AS t, max(ts) AS m FROM operation_log GROUP BY 1").to_pylist()[0]
    assert ts["t"] == "TIMESTAMP" and str(ts["m"]) == "2024-03-02 23:59:59"
    lp = be.query("SELECT provider, delivered_on FROM land_parcels").to_pylist()
    assert {r["provider"] for r in lp} == {"NRD"} and str(lp[0]["delivered_on"]) == "2024-04-01"
    be.close()


def test_report_and_ledger_are_saved(loaded: tuple[LoadReport, Warehouse]) -> None:
    report, wh = loaded
    saved = json.loads((wh.reports / f"load-{report.load_id}.json").read_text(encoding="utf-8"))
    assert saved["tables"][0]["table"] == "taxpayers" and saved["tables"][0]["rows_loaded"] == 4
    ledger = (wh.reports / "load_ledger.jsonl").read_text(encoding="utf-8").splitlines()
    entry = json.loads(ledger[0])
    assert entry["load_id"] == report.load_id and len(entry["files"]["taxpayers.csv"]) == 64
    assert not (wh.root / ".staging").exists()


def test_loading_twice_does_not_duplicate(loaded: tuple[LoadReport, Warehouse], tmp_path: Path) -> None:
    first, wh = loaded
    again = load_dataset(tmp_path / "data", wh)
    assert again.same_as_load == first.load_id
    for t in again.loaded:
        assert t.rows_in_warehouse == t.rows_read and t.rows_replaced == t.rows_read
        assert _count(wh.table_dir(t.table)) == first.table(t.table).rows_loaded
    assert len((wh.reports / "load_ledger.jsonl").read_text(encoding="utf-8").splitlines()) == 2
