"""The loader writes each keyed table once, with its keys, and the warehouse is the same as with session 4's two
writes (tables staged without keys, then the dictionary extended from them and every keyed table rewritten)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from synth_city import small_city

from taxloop.analytics.keys import DICTIONARY, DICTIONARY_SOURCES, GENERATION, KEY_COLUMNS
from taxloop.analytics.tin_months import MONTHS
from taxloop.analytics.warehouse import Warehouse
from taxloop.load import keys as load_keys
from taxloop.load import load_dataset, service, stage
from taxloop.load.discover import Dataset
from taxloop.load.report import LoadReport

AREAS = ("tables", "quarantine", "derived")


def _session4_keys(con: duckdb.DuckDBPyConnection, wh: Warehouse, staging: Path, dataset: Dataset, held: Any) -> bool:
    """Session 4's ``key_staged``: the dictionary extended with the staged tables' TINs, then every staged keyed
    table rewritten with its keys."""
    assert not held  # with KEY_COLUMNS emptied in the service, every table was written by stage_table
    staged = {n: staging / "tables" / n for n in dataset.tables if stage.has_parts(staging / "tables" / n)}
    if not any(n in DICTIONARY_SOURCES for n in staged):
        return False
    current = wh.table_dir(DICTIONARY, "derived")
    dictionary = staging / "derived" / DICTIONARY
    relations = {n: load_keys.parquet_rel(folder) for n, folder in staged.items()}
    load_keys.write_dictionary(con, current if stage.has_parts(current) else None, relations, dictionary)
    for name, folder in staged.items():
        if name in KEY_COLUMNS:
            keyed = staging / "keyed" / name
            load_keys.write_keyed(con, name, folder, dictionary, keyed)
            stage.replace_folder(folder, keyed)
    return True


def _snapshot(wh: Warehouse, load_ids: dict[str, int]) -> dict[str, Any]:
    """Every Parquet folder of the warehouse: columns with types (in order) and sorted rows (load ids numbered)."""
    con = duckdb.connect()
    out: dict[str, Any] = {}
    for area in AREAS:
        for name in wh.names(area):
            if name == MONTHS:
                continue  # written after the keys by the new loader only (test_tin_months.py)
            rel = f"read_parquet('{wh.table_dir(name, area)}/*.parquet', union_by_name=true)"
            cols = [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
            at = [c for c, _ in cols].index("_load_id") if ("_load_id", "VARCHAR") in cols else None
            rows = [
                tuple(load_ids[v] if i == at else v for i, v in enumerate(row))
                for row in con.execute(f"SELECT * FROM {rel}").fetchall()
            ]
            out[f"{area}/{name}"] = (cols, sorted(rows, key=repr))
    con.close()
    return out


def _counts(report: LoadReport) -> list[tuple[object, ...]]:
    return [
        (t.table, t.status, t.rows_read, t.rows_loaded, t.rows_quarantined, t.rows_replaced, t.rows_in_warehouse,
         t.quarantine_in_warehouse, sorted(t.by_rule.items()))
        for t in report.tables
    ]  # fmt: skip


def _city_rows(table: str, n: int) -> tuple[list[str], list[dict[str, str]]]:
    with (small_city() / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), [row for _, row in zip(range(n), reader, strict=False)]


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _partial_delivery(folder: Path) -> Path:
    """vat_returns and invoices only (no taxpayers): replaced rows, added rows with new TINs, and quarantined rows
    (a bad date, a repeated key) whose TINs are new and must not reach the dictionary."""
    fields, vat = _city_rows("vat_returns", 3)
    vat[0]["sales"] = "1.00"  # replaces a row
    vat[1]["tin"] = "0NEWVAT0000000001"  # a new key with a new TIN
    vat[2].update(tin="0QUARANTINED00001", filed_on="not a date")
    _write(folder / "vat_returns.csv", fields, vat)
    fields, inv = _city_rows("invoices", 2)
    inv[0]["seller_tin"] = "0NEWSELLER0000001"  # the re-delivered invoice names another seller
    inv[1]["invoice_id"] = "NEW-INVOICE-1"
    repeated = dict(inv[1], seller_tin="0QUARANTINED00002")  # same invoice_id again: duplicate_key
    _write(folder / "invoices.csv", fields, [*inv, repeated])
    return folder


def _taxpayer_delivery(folder: Path) -> Path:
    fields, rows = _city_rows("taxpayers", 1)
    rows[0].update(tin="0NEWTIN", registration_id="R-NEW")
    _write(folder / "taxpayers.csv", fields, rows)
    return folder


def _drop_generation(wh: Warehouse) -> None:
    """Rewrite the dictionary as it was before generations (tin, tin_key only)."""
    folder = wh.table_dir(DICTIONARY, "derived")
    con = duckdb.connect()
    con.execute(f"CREATE TABLE d AS SELECT tin, tin_key FROM read_parquet('{folder}/*.parquet')")
    for part in folder.glob("*.parquet"):
        part.unlink()
    con.execute(f"COPY d TO '{folder}/part-0.parquet' (FORMAT parquet)")
    con.close()


Step = Callable[[Warehouse], Path | None]


def _run(root: Path, steps: list[Step], monkeypatch: pytest.MonkeyPatch, old: bool) -> list[Any]:
    """Run the loads (a step returning None only changes the warehouse); a snapshot after each load."""
    with monkeypatch.context() as m:
        m.setattr(load_keys.secrets, "randbits", lambda bits: 4242)  # the same generation in both runs
        if old:
            m.setattr(service, "KEY_COLUMNS", {})
            m.setattr(service, "_write_held", _session4_keys)
        wh = Warehouse(root)
        load_ids: dict[str, int] = {}
        out = []
        for step in steps:
            delivery = step(wh)
            if delivery is not None:
                report = load_dataset(delivery, wh)
                load_ids[report.load_id] = len(load_ids)
                out.append((_counts(report), _snapshot(wh, load_ids)))
        return out


@pytest.mark.slow
@pytest.mark.parametrize("predates_generations", [False, True])
def test_single_write_same_warehouse_as_two_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, predates_generations: bool
) -> None:
    partial, taxpayer = _partial_delivery(tmp_path / "d2"), _taxpayer_delivery(tmp_path / "d3")
    steps: list[Step] = [lambda wh: small_city()]
    if predates_generations:
        steps.append(lambda wh: _drop_generation(wh))
    steps += [lambda wh: partial, lambda wh: taxpayer]
    new = _run(tmp_path / "new", steps, monkeypatch, old=False)
    old = _run(tmp_path / "old", steps, monkeypatch, old=True)
    assert len(new) == len(old) == 3
    for (new_counts, new_wh), (old_counts, old_wh) in zip(new, old, strict=True):
        assert new_counts == old_counts
        assert list(new_wh) == list(old_wh)
        for folder in new_wh:
            assert new_wh[folder] == old_wh[folder], folder
    _, after_partial = new[1]
    tins = {r[0] for r in after_partial[f"derived/{DICTIONARY}"][1]}
    assert {"0NEWVAT0000000001", "0NEWSELLER0000001"} <= tins
    assert not {"0QUARANTINED00001", "0QUARANTINED00002"} & tins  # quarantined rows add no TIN
    columns = [c for c, _ in after_partial["tables/invoices"][0]]
    assert columns[-3:] == ["seller_key", "buyer_key", GENERATION]


@pytest.mark.slow
def test_each_keyed_table_is_written_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[Path] = []
    copy = stage.copy_parquet

    def counted(con: duckdb.DuckDBPyConnection, sql: str, folder: Path) -> int:
        writes.append(folder)
        return copy(con, sql, folder)

    monkeypatch.setattr(stage, "copy_parquet", counted)
    monkeypatch.setattr(load_keys, "copy_parquet", counted)
    wh = Warehouse(tmp_path / "wh")
    deliveries = [(small_city(), list(KEY_COLUMNS)), (_partial_delivery(tmp_path / "d2"), ["vat_returns", "invoices"])]
    for delivery, keyed in deliveries:  # the second merges into tables that have keys
        writes.clear()
        load_dataset(delivery, wh)
        keyed_writes = sorted((f.parent.name, f.name) for f in writes if f.name in KEY_COLUMNS)
        assert keyed_writes == sorted([("tables", n) for n in keyed] + [("quarantine", n) for n in keyed])
