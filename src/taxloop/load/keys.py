"""Writing the integer TIN keys (``taxloop.analytics.keys``) into a warehouse's Parquet files.

``stage_dictionary`` is the loader's step: before a load is swapped in, it extends the warehouse's dictionary
with the TINs of the delivery's tables (merged, quarantine left out); the loader then writes each keyed table
once, with its key columns (``keyed_sql``), so the dictionary and the keys arrive in the warehouse together.
``index_warehouse`` (``taxloop keys``) does the same in place for tables written into ``tables/`` by other
means (a benchmark's copies, a bureau's own export). Both keep every key already given out: the dictionary
only grows. Both record what they wrote or verified in the key manifest (``record_keys``), which is what a scan
trusts; ``taxloop keys`` verifies (``wrong_keys_sql``) rather than rewrites a keyed table the manifest does not
vouch for (one keyed before the manifest existed, or copied), and rewrites it only when its keys are wrong.
"""

from __future__ import annotations

import secrets
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from taxloop.analytics.keys import (
    DICTIONARY,
    DICTIONARY_SOURCES,
    GENERATION,
    KEY_COLUMNS,
    extend_sql,
    generation_sql,
    has_key_columns,
    keyed_select,
    one_generation,
    wrong_keys_sql,
)
from taxloop.analytics.keys_manifest import Entry, Manifest, read_manifest, write_manifest
from taxloop.analytics.tin_months import MONTHS
from taxloop.analytics.warehouse import Warehouse
from taxloop.load.rules import lit
from taxloop.load.stage import connect, copy_parquet, has_parts, replace_folder


def parquet_rel(folder: Path) -> str:
    """The rows of the Parquet parts in ``folder`` as a DuckDB relation (columns united by name)."""
    return f"read_parquet({lit(str(folder / '*.parquet'))}, union_by_name=true)"


def write_dictionary(con: duckdb.DuckDBPyConnection, current: Path | None, tables: dict[str, str], out: Path) -> int:
    """Write to ``out`` the dictionary at ``current`` (None: none yet) extended with every TIN of ``tables``
    (name -> relation of its rows; only tables whose TINs the dictionary holds are read); returns its size."""
    sources = [(tables[t], c) for t in DICTIONARY_SOURCES if t in tables for c in DICTIONARY_SOURCES[t]]
    base = parquet_rel(current) if current is not None and has_parts(current) else None
    if current is not None and base is not None and GENERATION not in _columns(con, current):
        base = None  # written before generations: start a new dictionary (keys written against it are not trusted)
    if not sources:
        if base is None:
            return 0
        return copy_parquet(con, f"SELECT tin, tin_key, {GENERATION} FROM {base}", out)
    return copy_parquet(con, extend_sql(base, sources, secrets.randbits(62)), out)


def keyed_sql(con: duckdb.DuckDBPyConnection, table: str, relation: str, dictionary: Path) -> str:
    """SQL of ``relation`` (rows of ``table``) with its key columns looked up in ``dictionary`` (a folder)."""
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    dict_rel = f"(SELECT tin, tin_key, {GENERATION} FROM {parquet_rel(dictionary)})"
    return keyed_select(relation, table, dict_rel, columns)


def write_keyed(con: duckdb.DuckDBPyConnection, table: str, folder: Path, dictionary: Path, out: Path) -> int:
    """Write ``table`` (its Parquet parts in ``folder``) to ``out`` with its key columns looked up in
    ``dictionary``; returns the rows written."""
    return copy_parquet(con, keyed_sql(con, table, parquet_rel(folder), dictionary), out)


def stage_dictionary(
    con: duckdb.DuckDBPyConnection, wh: Warehouse, staging: Path, names: list[str], held: dict[str, str]
) -> Path | None:
    """The loader's step before the keyed tables are written: extend the warehouse's dictionary into
    ``staging/derived/tin_keys`` with the TINs of the delivery's tables after the merge: those already staged
    (``staging/tables/<name>``) and the ``held`` ones (name -> relation of their merged rows, not written yet).
    Quarantined rows add no TIN. Returns the staged dictionary (to swap in first), or None when the delivery has
    no table whose TINs the dictionary holds."""
    staged = {n: staging / "tables" / n for n in names if n not in held}
    tables = {n: parquet_rel(folder) for n, folder in staged.items() if has_parts(folder)}
    tables.update(held)
    if not any(n in DICTIONARY_SOURCES for n in tables):
        return None
    current = wh.table_dir(DICTIONARY, "derived")
    dictionary = staging / "derived" / DICTIONARY
    write_dictionary(con, current if has_parts(current) else None, tables, dictionary)
    return dictionary


def registered_covered(wh: Warehouse) -> bool:
    """Whether the manifest says the dictionary as it lies now holds every TIN of ``taxpayers`` as it lies now (the
    loader asks before swapping a delivery without ``taxpayers`` in: the dictionary only grows, so the larger
    one holds them too). False when it cannot be told (a file gone while fingerprinted)."""
    try:
        before = read_manifest(wh)
        if before.registered is None or before.dictionary_generation(wh, DICTIONARY) is None:
            return False
        return before.registered.matches(wh, "taxpayers")
    except OSError:
        return False


def dictionary_recorded(wh: Warehouse) -> bool:
    """Whether the dictionary lies as the key manifest recorded it (False when it cannot be told). When not (put
    back from a backup, copied from a sibling: same generation, other TINs), no table's entry is proven against it."""
    try:
        return read_manifest(wh).dictionary_generation(wh, DICTIONARY) is not None
    except OSError:
        return False


def next_manifest(
    wh: Warehouse, dictionary: Entry, keyed: dict[str, Entry], registered: Entry | None, keep: bool
) -> Manifest:
    """The key manifest recording ``dictionary`` (its entry, with its generation), the ``keyed`` tables' entries
    (taken when their keys were verified, or of the files written) and ``registered``: the ``taxpayers`` files
    every TIN of which is in the dictionary (None: not known). Entries of tables not named are kept with ``keep``
    (the dictionary extended was the one recorded: it only grows, keeping its generation, so their keys stay
    right), else dropped (``dictionary_recorded`` said no: their keys are unproven)."""
    manifest = read_manifest(wh)
    manifest.dictionary, manifest.registered = dictionary, registered
    if not keep:
        manifest.tables = {}
    manifest.tables.update(keyed)
    return manifest


def record_keys(
    wh: Warehouse, generation: int | None, keyed: dict[str, Entry], registered: Entry | None, keep: bool
) -> None:
    """Record (``next_manifest``) the dictionary as it lies now (of ``generation``), ``keyed``, ``registered``."""
    dictionary = Entry.at(wh, wh.table_dir(DICTIONARY, "derived"), generation)
    write_manifest(wh, next_manifest(wh, dictionary, keyed, registered, keep))


def staged_manifest(
    wh: Warehouse, staging: Path, generation: int | None, keyed: list[str], registered: bool, keep: bool
) -> Manifest:
    """The key manifest as it must read once the load staged in ``staging`` (its dictionary, the ``keyed`` tables
    and any other table it delivers) is swapped in, taken before the swap from the staged folders: the swap renames
    them into place, which keeps every file's name, size and ``mtime_ns``. ``registered``: whether the dictionary
    holds every TIN of ``taxpayers`` as it will lie (staged, or the warehouse's, left in place)."""

    def entry(name: str, area: str = "tables", gen: int | None = None) -> Entry:
        final, staged = wh.table_dir(name, area), staging / area / name
        return Entry.staged(wh, final, staged if staged.is_dir() else final, gen)

    tables = {n: entry(n, gen=generation) for n in keyed}
    taxpayers = entry("taxpayers") if registered else None
    return next_manifest(wh, entry(DICTIONARY, "derived", generation), tables, taxpayers, keep)


@dataclass
class IndexRun:
    """What ``index_warehouse`` did: seconds per step (the dictionary, each keyed table rewritten) and the keyed
    tables left as they were (their keys already right for the dictionary), with the seconds their check took
    (``seconds`` also has the month table, ``taxloop.analytics.tin_months``, when it was written);
    ``verified`` names those of them whose keys were checked row by row (no manifest entry matched them);
    ``warnings``: what did not stop the run (the month table could not be written)."""

    seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, float] = field(default_factory=dict)
    verified: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def index_warehouse(wh: Warehouse, memory_limit: str = "", threads: int = 0) -> IndexRun:
    """Key every keyed table of ``wh`` in place (``taxloop keys``), holding the warehouse's load lock, and record
    them in the key manifest (``taxloop.analytics.keys_manifest``).

    When the manifest already vouches for everything (the dictionary, the ``taxpayers`` files it covers and every
    keyed table, as they lie now) nothing is read or written. Otherwise the dictionary is extended with every TIN
    of the tables (rewritten only when it grows); a keyed table the manifest vouches for is left alone; any other
    one (keyed before the manifest existed, copied in, edited) is verified with one join (``wrong_keys_sql``: every
    row's keys are the dictionary's, of its generation) and then only recorded, or rewritten with its keys and
    recorded. So a warehouse keyed before the manifest gets one without a file rewritten, and a second run
    rewrites nothing."""
    from taxloop.load.months import refresh_or_warn  # it imports this module
    from taxloop.load.service import load_lock  # the loader imports this module

    with load_lock(wh):
        run = _index(wh, memory_limit, threads)
        seconds, warning = refresh_or_warn(wh, memory_limit, threads)
        if seconds is not None:
            run.seconds[MONTHS] = seconds
        if warning:
            run.warnings.append(warning)
        return run


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return int(con.execute(sql).fetchall()[0][0] or 0)


def _columns(con: duckdb.DuckDBPyConnection, folder: Path) -> set[str]:
    return {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {parquet_rel(folder)}").fetchall()}


def _verified(con: duckdb.DuckDBPyConnection, name: str, folder: Path, dictionary: Path, generation: int) -> bool:
    """Whether every row of ``name`` (Parquet parts in ``folder``) carries the keys of ``dictionary`` (a folder,
    of ``generation``) for its TINs."""
    if not has_key_columns(name, _columns(con, folder)):
        return False
    return _count(con, wrong_keys_sql(parquet_rel(folder), name, parquet_rel(dictionary), generation)) == 0


def dictionary_generation(con: duckdb.DuckDBPyConnection, folder: Path) -> int | None:
    """The generation of the dictionary in ``folder``; None when it has none (written before generations, or
    empty)."""
    if not has_parts(folder) or GENERATION not in _columns(con, folder):
        return None
    lo, hi = con.execute(generation_sql(parquet_rel(folder))).fetchall()[0]
    return one_generation(lo, hi)


def _extend(con: duckdb.DuckDBPyConnection, wh: Warehouse, tables: dict[str, Path]) -> tuple[int | None, bool]:
    """Extend the warehouse's dictionary with every TIN of ``tables``; returns its generation (None: no TIN
    anywhere) and whether it was rewritten (not when it already held every TIN: same generation, same size)."""
    current = wh.table_dir(DICTIONARY, "derived")
    new = current.with_name(f".{DICTIONARY}.{uuid.uuid4().hex}")
    wh.area("derived").mkdir(parents=True, exist_ok=True)
    relations = {t: parquet_rel(folder) for t, folder in tables.items()}
    try:
        old_gen = dictionary_generation(con, current)
        size = write_dictionary(con, current if has_parts(current) else None, relations, new)
        if size == 0:
            return None, False  # no TIN anywhere: nothing to key
        gen = dictionary_generation(con, new)
        if gen is not None and gen == old_gen and _count(con, f"SELECT count(*) FROM {parquet_rel(current)}") == size:
            return gen, False  # it only grows, so the same size is the same dictionary: left as it is
        replace_folder(current, new)  # a superset of the old one (same generation): keys already written stay valid
        return gen, True
    finally:
        shutil.rmtree(new, ignore_errors=True)  # left when it was not needed (or the swap failed)


def _all_recorded(wh: Warehouse, tables: dict[str, Path]) -> bool:
    """Whether the manifest vouches for the dictionary, the ``taxpayers`` files and every keyed table of
    ``tables`` as they lie now (then there is nothing to do)."""
    manifest = read_manifest(wh)
    generation = manifest.dictionary_generation(wh, DICTIONARY)
    if generation is None or not registered_covered(wh):
        return False
    return all(manifest.table_trusted(wh, t, generation) for t in KEY_COLUMNS if t in tables)


def _index(wh: Warehouse, memory_limit: str, threads: int) -> IndexRun:
    run = IndexRun()
    tables = {t: wh.table_dir(t) for t in DICTIONARY_SOURCES if has_parts(wh.table_dir(t))}
    if _all_recorded(wh, tables):
        run.skipped = {t: 0.0 for t in (DICTIONARY, *KEY_COLUMNS) if t == DICTIONARY or t in tables}
        return run
    con = connect(memory_limit, threads)
    try:
        manifest = read_manifest(wh)
        keep = dictionary_recorded(wh)  # before it is extended: else no entry is proven against it
        if not keep:
            manifest.tables = {}
        # before its TINs are read: a change from now on will not match
        registered = Entry.at(wh, tables["taxpayers"]) if "taxpayers" in tables else None
        current = wh.table_dir(DICTIONARY, "derived")
        started = time.perf_counter()
        generation, rewritten = _extend(con, wh, tables)
        if generation is None:
            return run  # no TIN anywhere (or only an empty dictionary): nothing to key
        (run.seconds if rewritten else run.skipped)[DICTIONARY] = time.perf_counter() - started
        keyed: dict[str, Entry] = {}
        for name in KEY_COLUMNS:
            if name not in tables:
                continue
            started, folder = time.perf_counter(), tables[name]
            if manifest.table_trusted(wh, name, generation):
                run.skipped[name] = time.perf_counter() - started
                continue
            keyed[name] = Entry.at(wh, folder, generation)  # before the rows are read, as for taxpayers
            if _verified(con, name, folder, current, generation):
                run.skipped[name] = time.perf_counter() - started
                run.verified.append(name)
                continue
            out = folder.with_name(f".{name}.{uuid.uuid4().hex}")
            try:
                write_keyed(con, name, folder, current, out)
                replace_folder(folder, out)
                keyed[name] = Entry.at(wh, folder, generation)  # the rewritten files
            finally:
                shutil.rmtree(out, ignore_errors=True)  # left only when the rewrite failed
            run.seconds[name] = time.perf_counter() - started
        record_keys(wh, generation, keyed, registered, keep)
    finally:
        con.close()
    return run
