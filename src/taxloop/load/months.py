"""Writing the month table (``taxloop.analytics.tin_months``) after the keys, and recording it in the key manifest.

The loader calls ``refresh_months`` after each load that wrote the dictionary, ``taxloop keys`` after keying;
both hold the warehouse's load lock. It writes ``derived/tin_months`` only from monthly sources whose keys the
manifest trusts, and only when the month table is not already usable as it lies (``covered`` says it is for
exactly the sources trusted now); a present monthly source with untrusted keys means no month table is written
(a scan then joins the sources, as without one).
"""

from __future__ import annotations

import shutil
import time
import uuid

import duckdb

from taxloop.analytics.keys import DICTIONARY
from taxloop.analytics.keys_manifest import Entry, read_manifest, write_manifest
from taxloop.analytics.tin_months import MONTHLY_SOURCES, MONTHS, covered, months_sql
from taxloop.analytics.warehouse import Warehouse
from taxloop.load.keys import _rel, _replace
from taxloop.load.stage import copy_parquet


def _present(wh: Warehouse) -> set[str]:
    return set(wh.names("tables")) | set(wh.names("derived"))


def refresh_months(wh: Warehouse, con: duckdb.DuckDBPyConnection) -> float | None:
    """Write and record the month table of ``wh`` when it is missing or stale and the monthly sources present are
    all trusted; returns the seconds it took, or None when nothing was written (already usable, no monthly
    source, or a source's keys not trusted). The caller holds the load lock."""
    manifest = read_manifest(wh)
    generation = manifest.dictionary_generation(wh, DICTIONARY)
    tables = _present(wh)
    sources = [s for s in MONTHLY_SOURCES if s in tables]
    if generation is None or not sources:
        return None
    if not all(manifest.table_trusted(wh, s, generation) for s in sources):
        return None
    if covered(wh, manifest, tables) == frozenset(sources):
        return None
    started = time.perf_counter()
    relations = {}
    for source in sources:
        folder = wh.find(source)
        assert folder is not None  # present, so found
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_rel(folder)}").fetchall()]
        relations[source] = (_rel(folder), columns)
    folder = wh.table_dir(MONTHS, "derived")
    out = folder.with_name(f".{MONTHS}.{uuid.uuid4().hex}")
    try:
        copy_parquet(con, months_sql(relations), out)
        _replace(folder, out)
    finally:
        shutil.rmtree(out, ignore_errors=True)  # left only when the write failed
    inputs = {s: manifest.tables[s].files for s in sources}
    entry = Entry.at(wh, folder, generation)
    manifest.tables[MONTHS] = Entry(entry.folder, entry.files, generation, inputs)
    write_manifest(wh, manifest)
    return time.perf_counter() - started
