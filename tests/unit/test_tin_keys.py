"""Integer TIN keys (taxloop.analytics.keys, taxloop.load.keys): the dictionary only grows, keys are looked up
exactly, a scan does not trust keys it cannot vouch for, and features are the same with keys or without."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from synth_city import city_warehouse, small_city

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.keys import DICTIONARY, SCAN_DICTIONARY, extend_sql, keyed_select, prepare_keys
from taxloop.analytics.warehouse import Warehouse
from taxloop.features import FEATURE_TABLES, build_features
from taxloop.load import load_dataset
from taxloop.load.keys import index_warehouse


def test_dictionary_only_grows_new_tins_after_the_largest_in_tin_order() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE d AS SELECT * FROM (VALUES ('B', 1, 77), ('A', 2, 77)) t(tin, tin_key, tin_keys_gen)")
    con.execute("CREATE TABLE s AS SELECT * FROM (VALUES ('Z'), ('A'), (NULL), ('C'), ('C')) t(tin)")
    rows = con.execute(f"SELECT * FROM ({extend_sql('d', [('s', 'tin')], 5)}) ORDER BY tin_key").fetchall()
    assert rows == [("B", 1, 77), ("A", 2, 77), ("C", 3, 77), ("Z", 4, 77)]  # a dictionary keeps its generation
    sql = extend_sql(None, [("s", "tin"), ("d", "tin")], 5)
    assert con.execute(f"SELECT * FROM ({sql}) ORDER BY tin").fetchall() == [
        ("A", 1, 5),
        ("B", 2, 5),
        ("C", 3, 5),
        ("Z", 4, 5),
    ]


def test_an_empty_dictionary_grows_with_a_generation() -> None:
    """A dictionary written with no TIN (a first delivery quarantined entirely) has no generation to keep: the
    TINs added to it get the new one, not NULL (NULL would make every key untrusted for good)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE d (tin VARCHAR, tin_key INTEGER, tin_keys_gen BIGINT)")
    con.execute("CREATE TABLE s AS SELECT * FROM (VALUES ('B'), ('A')) t(tin)")
    rows = con.execute(f"SELECT * FROM ({extend_sql('d', [('s', 'tin')], 9)}) ORDER BY tin_key").fetchall()
    assert rows == [("A", 1, 9), ("B", 2, 9)]


@pytest.mark.slow
def test_keys_trusted_after_a_first_delivery_quarantined_entirely(tmp_path: Path) -> None:
    delivery = tmp_path / "bad"
    delivery.mkdir()
    for table, column in (("taxpayers", "registered_on"), ("invoices", "issued_on")):
        with (small_city() / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = [row for _, row in zip(range(20), reader, strict=False)]
            fields = list(reader.fieldnames or [])
        for row in rows:
            row[column] = "not a date"
        with (delivery / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    wh = Warehouse(tmp_path / "wh")
    first = load_dataset(delivery, wh)
    assert {t.table: t.rows_loaded for t in first.tables if t.status != "skipped"} == {"taxpayers": 0, "invoices": 0}
    load_dataset(small_city(), wh)
    con = duckdb.connect()
    dictionary = f"read_parquet('{wh.table_dir(DICTIONARY, 'derived')}/*.parquet')"
    assert con.execute(f"SELECT count(*) FILTER (WHERE tin_keys_gen IS NULL) FROM {dictionary}").fetchone() == (0,)
    with _backend(wh) as backend:
        assert prepare_keys(backend) == {}  # the keys are used as they are, not looked up again


def test_keyed_select_looks_keys_up_and_replaces_stale_ones() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE d AS SELECT * FROM (VALUES ('S1', 7, 3), ('B1', 9, 3)) t(tin, tin_key, tin_keys_gen)")
    con.execute(
        "CREATE TABLE inv AS SELECT * FROM (VALUES ('i1', 'S1', 'B1', 1, 1), ('i2', 'S1', NULL, 5, 5)) "
        "t(invoice_id, seller_tin, buyer_tin, seller_key, buyer_key)"
    )
    cols = ["invoice_id", "seller_tin", "buyer_tin", "seller_key", "buyer_key"]
    sql = keyed_select("inv", "invoices", "d", cols)
    rows = con.execute(f"SELECT invoice_id, seller_key, buyer_key, tin_keys_gen FROM ({sql}) ORDER BY 1").fetchall()
    assert rows == [("i1", 7, 9, 3), ("i2", 7, None, 3)]


@contextmanager
def _backend(wh: Warehouse) -> Iterator[DuckDBBackend]:
    backend = DuckDBBackend(wh, threads=1)
    try:
        yield backend
    finally:
        backend.close()


KEYS = ("tin_key", "seller_key", "buyer_key")


def _features(wh: Warehouse, keys: bool = True) -> dict[str, list[dict[str, object]]]:
    """Every feature table's rows (sorted), with or without the key columns."""
    with _backend(wh) as backend:
        build_features(backend)
        out = {}
        for table in FEATURE_TABLES:
            rows = [
                {k: v for k, v in r.items() if keys or k not in KEYS}
                for r in backend.query(f"SELECT * FROM {table}").to_pylist()
            ]
            out[table] = sorted(rows, key=repr)
        return out


@pytest.mark.slow
def test_features_same_with_keys_without_and_with_a_part_written_after_keying(tmp_path: Path) -> None:
    plain = city_warehouse(tmp_path / "plain")
    keyed = Warehouse(tmp_path / "keyed")
    shutil.copytree(plain.root, keyed.root)
    index_warehouse(keyed)
    assert keyed.find(DICTIONARY) is not None
    with _backend(plain) as b1, _backend(keyed) as b2:
        unkeyed = prepare_keys(b1)
        assert unkeyed[DICTIONARY] == SCAN_DICTIONARY and "invoices" in unkeyed
        assert prepare_keys(b2) == {}  # the warehouse's own keys are used as they are
    expected = _features(plain)
    assert _features(keyed) == expected  # the same keys too: both dictionaries are built the same way
    # a part copied in later by other means, with a TIN never seen: its keys are looked up, the rest trusted
    extra = keyed.table_dir("invoices") / "part-9.parquet"
    con = duckdb.connect()
    src = keyed.table_dir("invoices") / "part-0.parquet"
    con.execute(
        f"COPY (SELECT * EXCLUDE (seller_key, buyer_key) REPLACE ('NEW-' || invoice_id AS invoice_id, "
        f"'91NEWTIN000000000X' AS seller_tin) FROM read_parquet('{src}') LIMIT 50) TO '{extra}' (FORMAT parquet)"
    )
    with _backend(keyed) as b3:
        relations = prepare_keys(b3)
        assert set(relations) == {DICTIONARY, "invoices"}
        top = b3.query(f"SELECT max(tin_key) AS m FROM {DICTIONARY}").column(0)[0].as_py()
        new = b3.query(f"SELECT tin_key FROM {SCAN_DICTIONARY} WHERE tin = '91NEWTIN000000000X'").to_pylist()
        assert new == [{"tin_key": top + 1}]
    shutil.copy(extra, plain.table_dir("invoices") / "part-9.parquet")
    grown = _features(keyed, keys=False)  # the new TIN's key differs: appended here, in TIN order there
    assert grown == _features(plain, keys=False)
    assert grown != {t: [{k: v for k, v in r.items() if k not in KEYS} for r in rows] for t, rows in expected.items()}
    assert any(r["tin"] == "91NEWTIN000000000X" for r in grown["features_period"])


def _new_taxpayer_delivery(folder: Path) -> Path:
    """A data set of one taxpayer: the city's first, as TIN 0NEWTIN (it sorts before every TIN already there)."""
    folder.mkdir()
    with (small_city() / "taxpayers.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        row = next(reader)
        fields = list(reader.fieldnames or [])
    row.update(tin="0NEWTIN", registration_id="R-NEW")
    with (folder / "taxpayers.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerow(row)
    return folder


@pytest.mark.slow
def test_loader_writes_keys_and_keeps_them_across_loads(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    load_dataset(small_city(), wh)
    con = duckdb.connect()
    dictionary = f"read_parquet('{wh.table_dir(DICTIONARY, 'derived')}/*.parquet')"
    before = dict(con.execute(f"SELECT tin, tin_key FROM {dictionary}").fetchall())
    invoices = f"read_parquet('{wh.table_dir('invoices')}/*.parquet')"
    wrong = con.execute(
        f"SELECT count(*) FROM {invoices} i LEFT JOIN {dictionary} d ON d.tin = i.seller_tin "
        "WHERE i.seller_key IS DISTINCT FROM d.tin_key"
    ).fetchall()[0][0]
    assert before and wrong == 0
    load_dataset(_new_taxpayer_delivery(tmp_path / "delivery"), wh)
    after = dict(con.execute(f"SELECT tin, tin_key FROM {dictionary}").fetchall())
    assert {t: after[t] for t in before} == before  # no key given out changes
    assert after["0NEWTIN"] == max(before.values()) + 1
    with _backend(wh) as backend:
        assert prepare_keys(backend) == {}


@pytest.mark.slow
def test_keys_written_against_another_dictionary_are_not_trusted(tmp_path: Path) -> None:
    """The dictionary deleted, then a partial load: the new dictionary has another generation, so the tables
    keyed against the old one are looked up again and the features stay right."""
    wh = Warehouse(tmp_path / "wh")
    load_dataset(small_city(), wh)
    plain = city_warehouse(tmp_path / "plain")
    expected = _features(plain, keys=False)
    shutil.rmtree(wh.table_dir(DICTIONARY, "derived"))
    load_dataset(_new_taxpayer_delivery(tmp_path / "delivery"), wh)
    with _backend(wh) as backend:
        assert {"invoices", "vat_returns"} <= set(prepare_keys(backend))  # keyed against the deleted dictionary
    shutil.copytree(wh.table_dir("taxpayers"), plain.table_dir("taxpayers"), dirs_exist_ok=True)
    for part in plain.table_dir("taxpayers").glob("*.parquet"):
        if part.name not in {p.name for p in wh.table_dir("taxpayers").glob("*.parquet")}:
            part.unlink()
    got = _features(wh, keys=False)
    assert got == _features(plain, keys=False)
    assert got != expected  # the new taxpayer is there
