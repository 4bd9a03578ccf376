"""The key manifest (taxloop.analytics.keys_manifest): a scan trusts a keyed table only when its files are those
the loader or ``taxloop keys`` recorded, so a hand-edited TIN is looked up again, a loaded warehouse is trusted
without a query, a warehouse keyed before the manifest is verified (not rewritten) by ``taxloop keys``, and a copy
that does not keep modification times is looked up until ``taxloop keys`` runs; the features are the same."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from synth_city import city_warehouse, small_city
from test_load_single_write import _partial_delivery
from test_tin_keys import _features

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.keys import DICTIONARY, KEY_COLUMNS, SCAN_DICTIONARY, prepare_keys
from taxloop.analytics.keys_manifest import Entry, Manifest, manifest_path, read_manifest, write_manifest
from taxloop.analytics.tin_months import MONTHS
from taxloop.analytics.warehouse import Warehouse
from taxloop.load import load_dataset
from taxloop.load.keys import index_warehouse


class _Counting(DuckDBBackend):
    """A DuckDB backend that logs every query it is asked."""

    log: list[str]

    def query(self, sql: str) -> pa.Table:
        self.log.append(sql)
        return super().query(sql)


@contextmanager
def _counting(wh: Warehouse) -> Iterator[_Counting]:
    backend = _Counting(wh, threads=1)
    backend.log = []
    try:
        yield backend
    finally:
        backend.close()


def _prepare(wh: Warehouse) -> tuple[dict[str, str], list[str]]:
    """``prepare_keys`` on a fresh backend: the relations and the queries it ran."""
    with _counting(wh) as backend:
        return prepare_keys(backend), backend.log


def _stats(wh: Warehouse, table: str) -> dict[str, tuple[int, int]]:
    """Inode and mtime_ns of every file of ``table``."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(wh.table_dir(table).glob("*"))}


def _rewrite(part: Path, select: str) -> None:
    """Rewrite one Parquet file as ``select`` over its rows (``{part}`` in it), as a hand edit would."""
    tmp = part.with_name(f"{part.stem}.edit")
    con = duckdb.connect()
    rows = select.format(part=f"read_parquet('{part}')")
    con.execute(f"COPY ({rows}) TO '{tmp}' (FORMAT parquet)")
    con.close()
    os.replace(tmp, part)


def _keyed(root: Path) -> tuple[Warehouse, Warehouse]:
    """The small city copied in without keys (``plain``), and a copy keyed by ``taxloop keys``."""
    plain = city_warehouse(root / "plain")
    keyed = Warehouse(root / "keyed")
    shutil.copytree(plain.root, keyed.root)
    index_warehouse(keyed)
    return plain, keyed


@pytest.mark.slow
def test_a_tin_edited_by_hand_in_a_keyed_file_is_not_trusted(tmp_path: Path) -> None:
    plain, keyed = _keyed(tmp_path)
    assert _prepare(keyed) == ({}, [])  # recorded by taxloop keys: trusted without a query
    # one vat return moved to another registered taxpayer, its key left as it was (the old taxpayer's)
    con = duckdb.connect()
    part = keyed.table_dir("vat_returns") / "part-0.parquet"
    (first, other) = con.execute(f"SELECT DISTINCT tin FROM read_parquet('{part}') ORDER BY tin LIMIT 2").fetchall()
    edit = f"SELECT * REPLACE (CASE WHEN tin = '{first[0]}' THEN '{other[0]}' ELSE tin END AS tin) FROM {{part}}"
    _rewrite(part, edit)
    _rewrite(plain.table_dir("vat_returns") / "part-0.parquet", edit)
    relations, _ = _prepare(keyed)
    assert set(relations) == {DICTIONARY, "vat_returns"}  # only the edited table is looked up again
    assert _features(keyed, keys=False) == _features(plain, keys=False)


@pytest.mark.slow
def test_a_loaded_warehouse_is_trusted_without_a_query(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    load_dataset(small_city(), wh)
    assert _prepare(wh) == ({}, [])
    untouched = {t: _stats(wh, t) for t in KEY_COLUMNS if t not in ("vat_returns", "invoices")}
    load_dataset(_partial_delivery(tmp_path / "d2"), wh)  # no taxpayers: the manifest carries their coverage
    assert {t: _stats(wh, t) for t in untouched} == untouched
    manifest = read_manifest(wh)
    assert set(manifest.tables) == {*KEY_COLUMNS, MONTHS} and manifest.registered is not None
    assert _prepare(wh) == ({}, [])


@pytest.mark.slow
def test_keys_verifies_a_warehouse_keyed_before_the_manifest(tmp_path: Path) -> None:
    plain, keyed = _keyed(tmp_path)
    expected = _features(plain)
    manifest_path(keyed).unlink()  # keyed before the manifest existed
    # and utilities' keys wrong on one row
    _rewrite(
        keyed.table_dir("utilities") / "part-0.parquet",
        "SELECT * REPLACE (CASE WHEN row_number() OVER () = 1 THEN tin_key + 1 ELSE tin_key END AS tin_key) "
        "FROM {part}",
    )
    relations, _ = _prepare(keyed)
    assert set(relations) == {DICTIONARY, *KEY_COLUMNS}  # nothing recorded: every keyed table looked up
    before = {t: _stats(keyed, t) for t in KEY_COLUMNS}
    run = index_warehouse(keyed)
    assert sorted(run.verified) == sorted(set(KEY_COLUMNS) - {"utilities"})
    assert set(run.seconds) == {"utilities", MONTHS}  # rewritten, the month table with it; the dictionary did not grow
    after = {t: _stats(keyed, t) for t in KEY_COLUMNS}
    assert {t: v for t, v in after.items() if t != "utilities"} == {t: v for t, v in before.items() if t != "utilities"}
    assert after["utilities"] != before["utilities"]
    assert _prepare(keyed) == ({}, [])
    assert _features(keyed) == expected
    again = index_warehouse(keyed)  # everything recorded: nothing read, nothing written
    assert not again.seconds and not again.verified and set(again.skipped) == {DICTIONARY, *KEY_COLUMNS}
    assert {t: _stats(keyed, t) for t in KEY_COLUMNS} == after


@pytest.mark.slow
def test_a_copy_without_modification_times_is_looked_up_until_keys_runs(tmp_path: Path) -> None:
    _, keyed = _keyed(tmp_path)
    expected = _features(keyed)
    copy = Warehouse(tmp_path / "copy")
    shutil.copytree(keyed.root, copy.root, copy_function=shutil.copy)  # new mtimes
    relations, _ = _prepare(copy)
    assert relations[DICTIONARY] == SCAN_DICTIONARY and set(KEY_COLUMNS) <= set(relations)
    assert _features(copy) == expected  # the same keys: looked up in the same dictionary
    run = index_warehouse(copy)
    assert sorted(run.verified) == sorted(KEY_COLUMNS) and set(run.seconds) == {MONTHS}  # copied: written anew
    assert _prepare(copy) == ({}, [])
    assert _features(copy) == expected
    # a table folder that is a symbolic link: its target's files are fingerprinted
    target = tmp_path / "linked_vat"
    shutil.copytree(copy.table_dir("vat_returns"), target)  # copy2: modification times kept
    shutil.rmtree(copy.table_dir("vat_returns"))
    copy.table_dir("vat_returns").symlink_to(target)
    assert _prepare(copy) == ({}, [])
    (target / "part-0.parquet").touch()
    assert set(_prepare(copy)[0]) == {DICTIONARY, "vat_returns"}


def test_manifest_unreadable_is_empty_and_entries_of_another_generation_are_dropped(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh").ensure()
    folder = wh.table_dir("vat_returns")
    folder.mkdir()
    (folder / "part-0.parquet").write_bytes(b"x")
    manifest_path(wh).write_text("{not json", encoding="utf-8")
    assert read_manifest(wh) == Manifest()
    entry = Entry.at(wh, folder, 7)
    write_manifest(wh, Manifest(Entry("derived/tin_keys", {}, 7), None, {"vat_returns": entry, "x": Entry("t", {}, 8)}))
    assert read_manifest(wh).tables == {"vat_returns": entry}
    assert entry.matches(wh, "vat_returns") and entry.files == {"part-0.parquet": [1, entry.files["part-0.parquet"][1]]}
    (folder / "part-1.parquet").write_bytes(b"y")
    assert not entry.matches(wh, "vat_returns")  # a file added
    assert not [p for p in manifest_path(wh).parent.iterdir() if p.name.startswith(".")]  # no temporary file left
