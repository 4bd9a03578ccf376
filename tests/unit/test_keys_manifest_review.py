"""The key manifest after review (session 6): a manifest that cannot be written does not fail a load already
swapped in (the report says so); a dictionary put back from a backup (same generation, fewer TINs) leaves no table
trusted, through a later load or ``taxloop keys``; a scan over keys not trusted says so once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from risk_scan.city import RULES, build_city
from synth_city import small_city
from test_load_single_write import _partial_delivery, _taxpayer_delivery
from typer.testing import CliRunner

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.keys import DICTIONARY, KEY_COLUMNS, prepare_keys
from taxloop.analytics.keys_manifest import Entry, manifest_path, read_manifest
from taxloop.analytics.tin_months import MONTHS
from taxloop.analytics.warehouse import Warehouse
from taxloop.cli.main import build_app
from taxloop.load import load_dataset
from taxloop.load.keys import index_warehouse
from taxloop.load.ledger import LEDGER


def _wrong_decodes(wh: Warehouse) -> dict[str, int]:
    """Per keyed TIN column: rows whose key, decoded through the dictionary the scan uses, is not their TIN."""
    backend = DuckDBBackend(wh, threads=1)
    try:
        rel = prepare_keys(backend)
        d = rel.get(DICTIONARY, DICTIONARY)
        out = {}
        for table, cols in KEY_COLUMNS.items():
            if table not in backend.table_names():
                continue
            src = rel.get(table, table)
            for col, key in cols.items():
                n = (
                    backend.query(
                        f"SELECT count(*) AS n FROM {src} AS r LEFT JOIN {d} AS d ON d.tin_key = r.{key} "
                        f"WHERE r.{col} IS DISTINCT FROM d.tin"
                    )
                    .column(0)[0]
                    .as_py()
                )
                if n:
                    out[f"{table}.{col}"] = n
        return out
    finally:
        backend.close()


def prepare_keys_on(wh: Warehouse) -> dict[str, str]:
    """``prepare_keys`` on a fresh DuckDB backend over ``wh``."""
    backend = DuckDBBackend(wh, threads=1)
    try:
        return prepare_keys(backend)
    finally:
        backend.close()


def _restored(tmp_path: Path, taxpayers: bool) -> Warehouse:
    """The small city, its dictionary backed up, a delivery of new TINs in invoices and vat_returns (and, with
    ``taxpayers``, one of a new taxpayer), then the dictionary put back from the backup (times kept, as cp -a)."""
    wh = Warehouse(tmp_path / "wh")
    load_dataset(small_city(), wh)
    backup = tmp_path / "tin_keys_backup"
    shutil.copytree(wh.table_dir(DICTIONARY, "derived"), backup)  # copy2: times kept
    load_dataset(_partial_delivery(tmp_path / "d2"), wh)
    if taxpayers:
        load_dataset(_taxpayer_delivery(tmp_path / "d3"), wh)
    shutil.rmtree(wh.table_dir(DICTIONARY, "derived"))
    shutil.copytree(backup, wh.table_dir(DICTIONARY, "derived"))
    return wh


@pytest.mark.slow
def test_a_manifest_that_cannot_be_written_does_not_fail_a_load_already_swapped_in(tmp_path: Path) -> None:
    """The manifest is an optimisation (unwritten: tables are looked up): a failure to write it after the swap
    must not turn a load whose tables are already in the warehouse into a failed load without report/ledger."""
    wh = Warehouse(tmp_path / "wh")
    load_dataset(small_city(), wh)
    path = manifest_path(wh)
    path.unlink()
    path.mkdir()  # stands for any OSError at that point: ENOSPC, EIO, a file gone while fingerprinted
    reports = set(wh.reports.glob("load-*.json"))
    report = load_dataset(_partial_delivery(tmp_path / "d2"), wh)
    assert set(wh.reports.glob("load-*.json")) - reports
    assert report.finished_at
    assert len(report.warnings) == 1 and "taxloop keys" in report.warnings[0]
    assert report.load_id in (wh.reports / LEDGER).read_text(encoding="utf-8")
    assert _wrong_decodes(wh) == {}  # looked up at scan time


@pytest.mark.slow
def test_a_dictionary_restored_from_a_backup_does_not_let_later_keys_be_trusted(tmp_path: Path) -> None:
    """derived/tin_keys put back from a backup (same generation, fewer TINs): the manifest knows the dictionary is
    not the one it recorded, so no table is trusted; their new TINs' keys would decode to nothing or another TIN."""
    wh = _restored(tmp_path, taxpayers=False)
    assert _wrong_decodes(wh) == {}


@pytest.mark.slow
def test_a_restored_dictionary_then_a_load_keeps_later_keys_untrusted(tmp_path: Path) -> None:
    """As above, then a delivery of taxpayers only: the loader records the (grown) dictionary and keeps no entry of
    the tables it did not touch, keyed against the dictionary before the restore."""
    wh = _restored(tmp_path, taxpayers=False)
    load_dataset(_taxpayer_delivery(tmp_path / "d3"), wh)
    assert _wrong_decodes(wh) == {}


@pytest.mark.slow
def test_keys_after_a_restored_dictionary_verifies_rewrites_the_wrong_and_then_trusts(tmp_path: Path) -> None:
    """The new TINs 0NEWSELLER..., 0NEWTIN, 0NEWVAT... were keyed in delivery order (seller and vat first, then the
    taxpayer); the restored dictionary extended by ``taxloop keys`` numbers them in TIN order, so the vat return's
    key is wrong and the seller's right: vat_returns is rewritten, the others verified, then all trusted."""
    wh = _restored(tmp_path, taxpayers=True)
    run = index_warehouse(wh)
    assert DICTIONARY in run.seconds  # extended with the TINs the backup lacks
    assert set(run.seconds) - {DICTIONARY} == {"vat_returns", MONTHS}  # the month table written anew with it
    assert sorted(run.verified) == sorted(set(KEY_COLUMNS) - {"vat_returns"})
    assert _wrong_decodes(wh) == {}
    assert prepare_keys_on(wh) == {}
    again = index_warehouse(wh)
    assert not again.seconds and not again.verified


@pytest.mark.slow
def test_entries_taken_before_the_swap_are_those_the_warehouse_has_after_it(tmp_path: Path) -> None:
    """The loader fingerprints the staged folders before the swap; the swap renames them into place (a table folder
    that was a symbolic link is renamed away, the staged folder takes its place), keeping names, sizes, mtime_ns."""
    wh = Warehouse(tmp_path / "wh")
    load_dataset(small_city(), wh)
    target = tmp_path / "linked_vat"
    shutil.copytree(wh.table_dir("vat_returns"), target)
    shutil.rmtree(wh.table_dir("vat_returns"))
    wh.table_dir("vat_returns").symlink_to(target)
    load_dataset(_partial_delivery(tmp_path / "d2"), wh)
    assert not wh.table_dir("vat_returns").is_symlink()
    manifest = read_manifest(wh)
    for name in ("vat_returns", "invoices"):
        assert manifest.tables[name] == Entry.at(wh, wh.table_dir(name), manifest.tables[name].generation)
    assert manifest.dictionary == Entry.at(wh, wh.table_dir(DICTIONARY, "derived"), manifest.dictionary.generation)
    assert prepare_keys_on(wh) == {}


def test_a_scan_over_keys_not_recorded_says_so_once_with_the_fix(tmp_path: Path) -> None:
    """A warehouse whose keyed tables the manifest does not vouch for (here: never keyed): ``taxloop scan`` prints
    one note naming the fix and keeps it in the scan report; after ``taxloop keys``, no note."""
    wh = build_city(tmp_path / "wh", with_entity_map=False)
    runner = CliRunner()
    args = ["scan", "-w", str(wh.root), "--folder", str(RULES), "--sample-share", "0"]
    res = runner.invoke(build_app(), args)
    assert res.exit_code == 0, res.output
    assert res.output.count("note / 提示") == 1
    (report,) = wh.reports.glob("scan-*.json")
    (notice,) = json.loads(report.read_text(encoding="utf-8"))["notices"]
    assert f"taxloop keys -w {wh.root}" in notice and "vat_returns" in notice
    index_warehouse(wh)
    res = runner.invoke(build_app(), args)
    assert res.exit_code == 0, res.output
    assert "note / 提示" not in res.output
    assert all(
        not json.loads(p.read_text(encoding="utf-8"))["notices"] for p in wh.reports.glob("scan-*.json") if p != report
    )


@pytest.mark.slow
def test_a_manifest_that_cannot_be_taken_before_the_swap_does_not_fail_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fingerprinting the staged folders fails (a file gone while listed): the load goes on, unrecorded, and says so;
    the old manifest, recording the dictionary the swap replaced, is removed."""
    from taxloop.load import service

    def gone(*args: object) -> None:
        raise FileNotFoundError("part-0.parquet")

    wh = Warehouse(tmp_path / "wh")
    load_dataset(small_city(), wh)
    monkeypatch.setattr(service, "staged_manifest", gone)
    report = load_dataset(_partial_delivery(tmp_path / "d2"), wh)
    assert report.finished_at and len(report.warnings) == 1 and "part-0.parquet" in report.warnings[0]
    assert not manifest_path(wh).exists()
    assert set(prepare_keys_on(wh)) == {DICTIONARY, *KEY_COLUMNS}
    assert _wrong_decodes(wh) == {}
