"""The feature layer on a tiny city: row counts, values, entity mapping, absent tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from indicator_city import MONTHS, City
from indicator_warehouse import build_warehouse, write_tables

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.features import FEATURE_TABLES, build_features
from taxloop.features.build import FeatureBuildError, empty_relation, render, tables_needed
from taxloop.features.reuse import read_record


def _one(backend: DuckDBBackend, sql: str) -> dict[str, object]:
    rows = backend.query(sql).to_pylist()
    assert len(rows) == 1, rows
    return rows[0]


def test_features_count_and_values(tmp_path: Path) -> None:
    city = City(0, n_base=5)
    city.invoice(city.T, city.B(0), "2024-02-03", 5_000.0, status="void")
    backend = build_warehouse([city], tmp_path)
    try:
        assert set(FEATURE_TABLES) <= set(backend.table_names())
        n_firms = len(city.firms)
        assert _one(backend, "SELECT count(*) AS n FROM features_period")["n"] == n_firms * len(MONTHS)
        assert _one(backend, "SELECT count(*) AS n FROM features_entity")["n"] == n_firms
        feb = _one(backend, f"SELECT * FROM features_period WHERE tin = '{city.T}' AND period = '2024-02'")
        invoiced = sum(r["amount"] for r in city.invoices_of(city.T, "2024-02"))
        assert feb["out_void_n"] == 1 and feb["out_n"] == 4
        assert feb["out_amount"] == pytest.approx(invoiced)
        assert feb["vat_filed"] == 1 and feb["entity_id"] == city.T
        year = _one(backend, f"SELECT * FROM features_year WHERE tin = '{city.T}' AND year = 2024")
        assert year["cit_filed"] == 1 and year["land_use_returns"] == 1
        pair = _one(
            backend, f"SELECT * FROM features_pairs WHERE seller_tin = '{city.T}' AND buyer_tin = '{city.B(0)}'"
        )
        assert pair["n"] == len(MONTHS) + 1
    finally:
        backend.close()


def test_entity_map_merges_registrations(tmp_path: Path) -> None:
    city = City(0, n_base=5)
    backend = build_warehouse([city], tmp_path)
    try:
        mapping = pa.table(
            {"registration_id": [f"R{city.T}", f"R{city.B(0)}"], "tin": [city.T, city.B(0)], "entity_id": ["E1", "E1"]}
        )
        backend.write_arrow("entity_map", mapping)
        build_features(backend)
        merged = _one(backend, "SELECT * FROM features_entity WHERE entity_id = 'E1'")
        assert merged["n_tins"] == 2
        assert _one(backend, "SELECT count(*) AS n FROM features_entity")["n"] == len(city.firms) - 1
        periods = _one(backend, "SELECT count(DISTINCT tin) AS n FROM features_period WHERE entity_id = 'E1'")
        assert periods["n"] == 2
    finally:
        backend.close()


def test_absent_optional_tables_give_empty_features(tmp_path: Path) -> None:
    city = City(0, n_base=5)
    backend = build_warehouse([city], tmp_path, skip={"invoices", "utilities", "land_parcels", "payments"})
    try:
        row = _one(
            backend,
            f"SELECT out_amount, kwh, land_area_m2, vat_sales FROM features_entity WHERE entity_id = '{city.T}'",
        )
        assert row["out_amount"] == 0 and row["kwh"] == 0 and row["land_area_m2"] == 0
        assert row["vat_sales"] > 0
    finally:
        backend.close()


def test_missing_taxpayers_is_a_clear_error(tmp_path: Path) -> None:
    backend = DuckDBBackend(Warehouse(tmp_path).ensure())
    try:
        with pytest.raises(FeatureBuildError, match="taxpayers"):
            build_features(backend)
    finally:
        backend.close()


def test_render_fills_absent_sources_with_typed_empty_relations() -> None:
    sql = render("SELECT * FROM {invoices} JOIN {taxpayers} USING (tin)", present={"taxpayers"})
    assert "FROM (SELECT CAST(NULL AS VARCHAR) AS invoice_id" in sql and "JOIN taxpayers" in sql
    assert "CAST(NULL AS DECIMAL(18,2)) AS amount" in empty_relation("invoices")


def test_only_the_tables_asked_for_and_what_they_read_are_built(tmp_path: Path) -> None:
    assert tables_needed(["features_pairs", "vat_returns"]) == ["features_pairs"]  # straight from the invoices
    assert tables_needed(["features_year"]) == ["features_tin", "features_period", "features_year"]
    assert tables_needed([]) == [] and tables_needed(None) == list(FEATURE_TABLES)
    city = City(0, n_base=3)
    backend = DuckDBBackend(write_tables([city], tmp_path), threads=1)
    try:
        counts = build_features(backend, tables=["features_pairs"])
        assert list(counts) == ["features_pairs"]
        assert not backend.has_table("features_period") and not backend.has_table("features_entity")
    finally:
        backend.close()


def test_a_build_deletes_a_feature_table_taxloop_no_longer_writes(tmp_path: Path) -> None:
    city = City(0, n_base=3)
    wh = write_tables([city], tmp_path)
    stale = wh.table_dir("features_invoice_cells", "derived")
    stale.mkdir(parents=True)
    pq.write_table(pa.table({"seller_key": [1], "n": [5]}), stale / "part-0.parquet")
    old = read_record(wh)
    old.written("features_invoice_cells", "an old key", 1)
    backend = DuckDBBackend(wh, threads=1)
    try:
        assert backend.has_table("features_invoice_cells")  # an older taxloop's table, still readable
        build_features(backend, reuse=True)
        assert not stale.exists() and not backend.has_table("features_invoice_cells")
        assert "features_invoice_cells" not in read_record(wh).tables
        with pytest.raises(duckdb.CatalogException, match="features_invoice_cells"):
            backend.query("SELECT * FROM features_invoice_cells")
        assert set(FEATURE_TABLES) <= set(backend.table_names())
    finally:
        backend.close()


def test_drop_derived_uncovers_the_contract_table_of_that_name(tmp_path: Path) -> None:
    city = City(0, n_base=3)
    backend = DuckDBBackend(write_tables([city], tmp_path), threads=1)
    try:
        rows = backend.query("SELECT count(*) AS n FROM taxpayers").column("n")[0].as_py()
        backend.write_arrow("taxpayers", pa.table({"tin": ["X"]}))  # a derived table shadows the contract one
        assert backend.query("SELECT count(*) AS n FROM taxpayers").column("n")[0].as_py() == 1
        backend.drop_derived("taxpayers")
        assert backend.query("SELECT count(*) AS n FROM taxpayers").column("n")[0].as_py() == rows > 1
        assert not backend.warehouse.table_dir("taxpayers", "derived").exists()
    finally:
        backend.close()


def test_building_in_buckets_gives_the_same_tables(tmp_path: Path) -> None:
    city = City(0, n_base=6)
    one = DuckDBBackend(write_tables([city], tmp_path / "one"), threads=1)
    three = DuckDBBackend(write_tables([city], tmp_path / "three"), threads=1)
    try:
        assert build_features(one, buckets=1) == build_features(three, buckets=3)
        parts = sorted(p.name for p in (tmp_path / "three" / "derived" / "features_period").iterdir())
        assert parts == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]
        for table in FEATURE_TABLES:
            a = one.query(f"SELECT * FROM {table} ORDER BY ALL").to_pylist()
            b = three.query(f"SELECT * FROM {table} ORDER BY ALL").to_pylist()
            assert a == b, table
    finally:
        one.close()
        three.close()


def test_a_scan_of_some_indicators_builds_only_their_feature_tables(tmp_path: Path) -> None:
    from taxloop.risk.library import load_library
    from taxloop.risk.pipeline import build_features_if_available, run_scan
    from taxloop.risk.scoring import ScoringParams

    wh = write_tables([City(0, n_base=3)], tmp_path)
    backend = DuckDBBackend(wh, threads=1)
    try:
        specs = load_library(codes=["VAT_INPUT_EXCEEDS_OUTPUT"])
        outcome = run_scan(backend, specs, ScoringParams(), 0.0, 1, progress=False, prune_features=True)
        assert [r.status for r in outcome.rules] == ["ok"]
        built = {t for t in FEATURE_TABLES if backend.has_table(t)}
        # only the tables and columns the rule reads, in memory
        assert built == {"features_tin", "features_period", "features_entity"}
        assert not set(FEATURE_TABLES) & set(wh.names("derived"))  # the warehouse's feature tables untouched
        assert backend.query("SELECT * FROM features_entity LIMIT 0").column_names == [
            "entity_id", "primary_tin", "vat_output", "vat_input"
        ]
        built_all = build_features_if_available(backend, load_library())  # the whole library: full, written
        assert built_all is not None and set(built_all) == set(FEATURE_TABLES)
        assert set(FEATURE_TABLES) <= set(wh.names("derived"))
        assert backend.query("SELECT * FROM features_entity LIMIT 0").num_columns > 60  # the view is Parquet again
    finally:
        backend.close()


def test_a_full_scan_with_a_retired_indicator_still_writes_the_feature_tables(tmp_path: Path) -> None:
    # A bureau retires indicators that do not work; the scan of the rest must keep the warehouse's feature
    # tables (read by models and the taxpayer profile) written, not fall back to an in-memory pruned build.
    from taxloop.risk.library import load_library
    from taxloop.risk.pipeline import run_scan
    from taxloop.risk.scoring import ScoringParams

    wh = write_tables([City(0, n_base=3)], tmp_path)
    backend = DuckDBBackend(wh, threads=1)
    try:
        specs = [s for s in load_library() if s.code != "VAT_INPUT_EXCEEDS_OUTPUT"]
        run_scan(backend, specs, ScoringParams(), 0.0, 1, progress=False)
        assert {"features_period", "features_entity"} <= set(wh.names("derived"))
        assert backend.query("SELECT * FROM features_entity LIMIT 0").num_columns > 60
    finally:
        backend.close()
