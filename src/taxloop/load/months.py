"""Writing the month table (``taxloop.analytics.tin_months``) after the keys, and recording it in the key manifest.

The loader calls ``refresh_months`` after each load that wrote the dictionary, ``taxloop keys`` after keying;
both hold the warehouse's load lock. It writes ``derived/tin_months`` only from monthly sources whose keys the
manifest trusts and whose (tin_key, month) keys are unique, and only when the month table is not already usable
as it lies (``covered`` says it is for exactly the sources present now); otherwise it removes it, so that no
copy of the sources' data outlives them and a scan joins the sources, as without one.
"""

from __future__ import annotations

import shutil
import time
import uuid
from pathlib import Path

import duckdb

from taxloop.analytics.keys import DICTIONARY
from taxloop.analytics.keys_manifest import Entry, Manifest, read_manifest, write_manifest
from taxloop.analytics.tin_months import LAYOUT, MONTHLY_SOURCES, MONTHS, PIDX_SQL, covered, months_sql
from taxloop.analytics.warehouse import Warehouse
from taxloop.load.keys import parquet_rel
from taxloop.load.stage import connect, copy_parquet, replace_folder


def _present(wh: Warehouse) -> set[str]:
    return set(wh.names("tables")) | set(wh.names("derived"))


class DuplicateMonthKeys(ValueError):
    """A monthly source has two rows for one (tin_key, month): no month table is written over it."""


def duplicate_keys_sql(relation: str) -> str:
    """1 when two rows of ``relation`` (a monthly source) share a (tin_key, month index), else 0: then the month
    table is not written (the feature query may read fewer sources than the table joined, and a duplicate in one
    it does not read would multiply its rows). The loader quarantines duplicate (tin, period) keys; tables put in
    place by other means, or periods written two ways ('2024-1', '2024-01'), may have them."""
    return (
        f"SELECT count(*) FROM (SELECT 1 FROM {relation} GROUP BY tin_key, {PIDX_SQL} HAVING count(*) > 1 LIMIT 1)"
    )


def drop_months(wh: Warehouse, manifest: Manifest) -> None:
    """Remove the month table and its manifest entry (a copy of the sources' data must not outlive them)."""
    folder = wh.table_dir(MONTHS, "derived")
    if folder.is_symlink():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)
    if manifest.tables.pop(MONTHS, None) is not None:
        write_manifest(wh, manifest)


def refresh_months(wh: Warehouse, con: duckdb.DuckDBPyConnection) -> float | None:
    """Make the month table of ``wh`` match its monthly sources; returns the seconds a write took, or None when
    nothing was written. Left as it is when already usable; written and recorded when the monthly sources present
    are all trusted and have no duplicate key; otherwise removed (no monthly source, keys not trusted, duplicate
    keys, the dictionary not as recorded): a scan then joins the sources. The caller holds the load lock; a
    failure (a period that is not a month, a full disk; ``DuplicateMonthKeys``) raises, and a month table not
    written is not used."""
    manifest = read_manifest(wh)
    generation = manifest.dictionary_generation(wh, DICTIONARY)
    tables = _present(wh)
    sources = [s for s in MONTHLY_SOURCES if s in tables]
    if sources and generation is not None and covered(wh, manifest, tables) == frozenset(sources):
        return None
    drop_months(wh, manifest)
    if generation is None or not sources or not all(manifest.table_trusted(wh, s, generation) for s in sources):
        return None
    started = time.perf_counter()
    relations = {}
    for source in sources:
        folder = wh.find(source)
        assert folder is not None  # present, so found
        relation = parquet_rel(folder)
        if int(con.execute(duplicate_keys_sql(relation)).fetchall()[0][0]):
            raise DuplicateMonthKeys(f"{source} has two rows for one TIN and month / {source} 同一纳税人同一月份有两行")
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        relations[source] = (relation, columns)
    folder = wh.table_dir(MONTHS, "derived")
    out = folder.with_name(f".{MONTHS}.{uuid.uuid4().hex}")
    try:
        copy_parquet(con, months_sql(relations), out)
        replace_folder(folder, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)  # left only when the write failed
    inputs = {s: manifest.tables[s].files for s in sources}
    entry = Entry.at(wh, folder, generation)
    manifest.tables[MONTHS] = Entry(entry.folder, entry.files, generation, inputs, LAYOUT)
    write_manifest(wh, manifest)
    return time.perf_counter() - started


def refresh_or_warn(
    wh: Warehouse, memory_limit: str = "", threads: int = 0, tmp: Path | None = None
) -> tuple[float | None, str | None]:
    """``refresh_months`` on a connection of its own: (seconds written or None, None), or on a failure (None, a
    zh/en warning). Like the key manifest, the month table only spares a scan work, so its failure never fails
    a load or ``taxloop keys``; a month table that could not be written was removed first, so none is used."""
    try:
        con = connect(memory_limit, threads, tmp)
        try:
            return refresh_months(wh, con), None
        finally:
            con.close()
    except (OSError, duckdb.Error, DuplicateMonthKeys) as exc:
        return None, (
            f"month table not written ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}): "
            f"scans join the monthly tables (slower, same results) / 月度合并表未写入: 扫描时逐表关联月度数据 "
            f"(较慢, 结果相同)"
        )
