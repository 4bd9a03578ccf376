"""Validate one table's rows in DuckDB and stage its loaded and quarantined rows as Parquet.

Merge semantics (idempotent loads): the staged table is the new delivery plus every existing row whose key
(the contract ``key``, or all contract columns for a keyless table) is not in the delivery — a re-delivered
row replaces the old one, so loading the same data set twice changes nothing. Within one delivery the first
row of a key (file order, then line) wins; later ones are quarantined as ``duplicate_key``/``duplicate_row``.
Quarantine rows of a re-delivered source file replace that file's earlier quarantine rows.

A keyed table (``taxloop.analytics.keys.KEY_COLUMNS``) is held (``hold_table``: its checked rows stay in DuckDB)
until the loader has extended the TIN dictionary with the whole delivery, then written once with its key columns
(``write_held``); every other table is written by ``stage_table``. The checked rows carry no per-row file path or
load id (the same for every row of a file; held for 23 M rows they cost ~2 GB): ``__src_<table>`` has them once
per file and the selects join them back.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from taxloop.load.discover import TableSource
from taxloop.load.errors import LoadError
from taxloop.load.read import read_files
from taxloop.load.rules import dedup_key, first_failure_sql, ident, lit, rule_sql, table_checks, typed_expr


@dataclass
class StagedTable:
    """Counts of one staged table."""

    rows_checked: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    rows_replaced: int = 0
    rows_after: int = 0
    quarantine_after: int = 0


def _glob(folder: Path) -> str:
    return lit(str(folder / "*.parquet"))


def connect(memory_limit: str = "", threads: int = 0, tmp: Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for writing tables (spilling to ``tmp`` when given; ``memory_limit`` and
    ``threads`` when given). Insertion order is not kept: the CSV reader turns it on where line order matters."""
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order=false")
    if tmp is not None:
        con.execute(f"SET temp_directory={lit(str(tmp))}")
    if memory_limit:
        con.execute(f"SET memory_limit={lit(memory_limit)}")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    return con


def replace_folder(folder: Path, new: Path) -> None:
    """Put ``new`` where ``folder`` is (a folder or a symbolic link to one; the link's target is left alone)."""
    old = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
    if folder.is_symlink() or folder.exists():
        folder.rename(old)
    new.rename(folder)
    if old.is_symlink():
        old.unlink()
    elif old.exists():
        shutil.rmtree(old)


def has_parts(folder: Path) -> bool:
    """Whether ``folder`` holds Parquet parts."""
    return folder.is_dir() and any(folder.glob("*.parquet"))


def _companion(chk: str, kind: str) -> str:
    """The name of ``check_table``'s ``__dup_`` or ``__src_`` table beside checked table ``chk``."""
    return chk.replace("__chk_", f"__{kind}_", 1)


def check_table(con: duckdb.DuckDBPyConnection, table: TableSource, load_id: str, offset: int = 0) -> tuple[str, int]:
    """Materialise ``__chk_<table>`` (text rows + ``_rule_idx``, the first failing check, 0 = good) file by file,
    ``__dup_<table>`` (rank of each good row among rows of the same key, only for repeated keys) and
    ``__src_<table>`` (one row per file: ``_file_idx``, ``_src_file``, ``_load_id``).

    The checked rows keep ``_file_idx`` but not the file's path or the load id: both are the same for every row
    of a file and cost ~100 bytes a row in memory; ``_joined`` puts them back from ``__src_``.
    Returns the name of the checked table and the number of data rows read from the files.
    """
    spec = table.spec
    checks = table_checks(spec)
    chk = f"__chk_{spec.name}"
    dup, src = _companion(chk, "dup"), _companion(chk, "src")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {src} (_file_idx INTEGER, _src_file VARCHAR, _load_id VARCHAR)")
    rows, rule = 0, first_failure_sql(checks)
    for i, part in enumerate(read_files(con, table, offset)):
        select = f"SELECT * EXCLUDE (_src_file), {rule} AS _rule_idx FROM ({part.select})"
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {chk} AS {select}" if i == 0 else f"INSERT INTO {chk} {select}")
        except duckdb.Error as exc:
            raise LoadError(part.path, f"cannot be read / 无法读取: {exc}") from None
        con.execute(f"INSERT INTO {src} VALUES ({offset + i}, {lit(str(part.path))}, {lit(load_id)})")
        rows += part.rows
        for t in part.temp_tables:
            con.execute(f"DROP TABLE IF EXISTS {t}")
    keys, _ = dedup_key(spec)
    named = ", ".join(f"{k} AS __k{j}" for j, k in enumerate(keys))
    match = " AND ".join(f"({k}) IS NOT DISTINCT FROM r.__k{j}" for j, k in enumerate(keys))
    window = f"PARTITION BY {', '.join(keys)} ORDER BY _file_idx, _src_line"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {dup} AS"
        f" WITH r AS (SELECT {named} FROM {chk} WHERE _rule_idx = 0 GROUP BY ALL HAVING count(*) > 1)"
        f" SELECT _file_idx, _src_line, row_number() OVER w AS _dup_rank,"
        f" first_value(_src_file || ':' || _src_line) OVER w AS _dup_first"
        f" FROM {chk} JOIN {src} USING (_file_idx) SEMI JOIN r ON {match} WHERE _rule_idx = 0 WINDOW w AS ({window})"
    )
    return chk, rows


def _joined(chk: str, sources: bool = True) -> str:
    """The checked rows with their duplicate rank and (``sources``) their file's path and load id."""
    dup = _companion(chk, "dup")
    src = f" JOIN {_companion(chk, 'src')} USING (_file_idx)" if sources else ""
    return f"{chk}{src} LEFT JOIN {dup} USING (_file_idx, _src_line)"


def loaded_select(table: TableSource, chk: str) -> str:
    """SQL of the good rows cast to the warehouse types, extras as text, lineage last."""
    typed = [f"{typed_expr(c)} AS {ident(n)}" for n, c in table.spec.columns.items()]
    extras = [ident(e) for e in table.extras]
    cols = ", ".join([*typed, *extras, "_src_file", "_src_line", "_load_id"])
    return f"SELECT {cols} FROM {_joined(chk)} WHERE _rule_idx = 0 AND coalesce(_dup_rank, 1) = 1"


def _rules(table: TableSource) -> tuple[str, str]:
    _, dup_rule = dedup_key(table.spec)
    return rule_sql(table_checks(table.spec), "_rule_idx", dup_rule)


def quarantine_select(table: TableSource, chk: str) -> str:
    """SQL of the rejected rows with their delivered text values, rule, reason and lineage."""
    rule, reason = _rules(table)
    raw = [ident(n) for n in [*table.spec.columns, *table.extras]]
    cols = ", ".join([*raw, "_src_file", "_src_line", f"{rule} AS _rule", f"{reason} AS _reason", "_raw_line"])
    return f"SELECT {cols}, _load_id FROM {_joined(chk)} WHERE _rule_idx > 0 OR coalesce(_dup_rank, 1) > 1"


def copy_parquet(con: duckdb.DuckDBPyConnection, sql: str, folder: Path) -> int:
    """Write a query's rows to ``folder/part-0.parquet`` (zstd); returns the rows in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = lit(str(folder / "part-0.parquet"))
    con.execute(f"COPY ({sql}) TO {target} (FORMAT parquet, COMPRESSION zstd)")
    return int(con.execute(f"SELECT count(*) FROM read_parquet({_glob(folder)})").fetchall()[0][0])


def _counts(con: duckdb.DuckDBPyConnection, table: TableSource, chk: str) -> StagedTable:
    """The checked rows of ``chk`` counted by outcome (loaded, or quarantined by rule)."""
    out = StagedTable()
    rule_sql_, _ = _rules(table)
    rows = _joined(chk, sources=False)
    counts = con.execute(f"SELECT {rule_sql_} AS r, count(*) FROM {rows} GROUP BY r ORDER BY r").fetchall()
    for rule, n in counts:
        out.rows_checked += int(n)
        if rule is None:
            out.rows_loaded = int(n)
        else:
            out.by_rule[str(rule)] = int(n)
    out.rows_quarantined = sum(out.by_rule.values())
    return out


def _old_rows(tables_dir: Path) -> str:
    return f"read_parquet({_glob(tables_dir)}, union_by_name=true)"


def merged_select(table: TableSource, new: str, tables_dir: Path) -> str:
    """SQL of the table after the delivery: the delivered rows (relation ``new``) and every row of the warehouse's
    table (``tables_dir``, if it has parts) whose key is not delivered again."""
    if not has_parts(tables_dir):
        return f"SELECT * FROM {new}"
    names = table.spec.key or list(table.spec.columns)
    match = " AND ".join(f"n.{ident(k)} IS NOT DISTINCT FROM o.{ident(k)}" for k in names)
    kept = f"SELECT * FROM {_old_rows(tables_dir)} o WHERE NOT EXISTS (SELECT 1 FROM {new} n WHERE {match})"
    return f"SELECT * FROM {new} UNION ALL BY NAME {kept}"


def _write_final(
    con: duckdb.DuckDBPyConnection, table: TableSource, sql: str, staging: Path, tables_dir: Path, out: StagedTable
) -> None:
    """Write the merged table (``sql``) to ``staging/tables/<name>`` and count it into ``out``."""
    merging = has_parts(tables_dir)
    old_rows = int(con.execute(f"SELECT count(*) FROM {_old_rows(tables_dir)}").fetchall()[0][0]) if merging else 0
    out.rows_after = copy_parquet(con, sql, staging / "tables" / table.name)
    if merging:
        out.rows_replaced = old_rows - (out.rows_after - out.rows_loaded)


def _stage_quarantine(
    con: duckdb.DuckDBPyConnection, table: TableSource, chk: str, staging: Path, quarantine_dir: Path
) -> int:
    files = ", ".join(lit(str(f.path)) for f in table.files)
    quarantine = quarantine_select(table, chk)
    if has_parts(quarantine_dir):
        old_q = f"read_parquet({_glob(quarantine_dir)}, union_by_name=true)"
        quarantine = f"{quarantine} UNION ALL BY NAME SELECT * FROM {old_q} WHERE _src_file NOT IN ({files})"
    return copy_parquet(con, quarantine, staging / "quarantine" / table.name)


def stage_table(
    con: duckdb.DuckDBPyConnection, table: TableSource, chk: str, staging: Path, tables_dir: Path, quarantine_dir: Path
) -> StagedTable:
    """Write the merged table and quarantine of ``table`` under ``staging`` (the warehouse is not touched)."""
    out = _counts(con, table, chk)
    new = staging / "new" / table.name
    copy_parquet(con, loaded_select(table, chk), new)
    if has_parts(tables_dir):
        _write_final(
            con, table, merged_select(table, f"read_parquet({_glob(new)})", tables_dir), staging, tables_dir, out
        )
    else:
        final = staging / "tables" / table.name
        final.parent.mkdir(parents=True, exist_ok=True)
        new.rename(final)
        out.rows_after = out.rows_loaded
    out.quarantine_after = _stage_quarantine(con, table, chk, staging, quarantine_dir)
    return out


def hold_table(
    con: duckdb.DuckDBPyConnection, table: TableSource, chk: str, staging: Path, quarantine_dir: Path
) -> StagedTable:
    """``stage_table`` without the table's write: the rows are counted and the quarantine is staged; the checked
    rows (``chk`` and its ``__dup_`` table) stay for ``held_rows``/``write_held``, so a keyed table is written
    once, with its keys, after the dictionary has every TIN of the delivery. ``rows_after``/``rows_replaced`` are
    counted by ``write_held``."""
    out = _counts(con, table, chk)
    out.quarantine_after = _stage_quarantine(con, table, chk, staging, quarantine_dir)
    return out


def held_rows(table: TableSource, chk: str, tables_dir: Path) -> str:
    """The relation of a held table after the delivery (``merged_select`` of its loaded rows in ``chk``)."""
    return f"({merged_select(table, f'({loaded_select(table, chk)})', tables_dir)})"


def drop_checked(con: duckdb.DuckDBPyConnection, chk: str) -> None:
    """Drop the temporary tables of ``check_table``."""
    con.execute(f"DROP TABLE IF EXISTS {chk}")
    con.execute(f"DROP TABLE IF EXISTS {_companion(chk, 'dup')}")
    con.execute(f"DROP TABLE IF EXISTS {_companion(chk, 'src')}")


def write_held(
    con: duckdb.DuckDBPyConnection,
    table: TableSource,
    chk: str,
    staging: Path,
    tables_dir: Path,
    out: StagedTable,
    final: Callable[[str], str],
) -> None:
    """Write a held table (``hold_table``) to ``staging/tables/<name>`` as ``final(held_rows(...))`` (the keyed
    select), count it into ``out`` and drop its checked rows."""
    _write_final(con, table, final(held_rows(table, chk, tables_dir)), staging, tables_dir, out)
    drop_checked(con, chk)
