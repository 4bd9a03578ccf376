"""Validate one table's rows in DuckDB and stage its loaded and quarantined rows as Parquet.

Merge semantics (idempotent loads): the staged table is the new delivery plus every existing row whose key
(the contract ``key``, or all contract columns for a keyless table) is not in the delivery — a re-delivered
row replaces the old one, so loading the same data set twice changes nothing. Within one delivery the first
row of a key (file order, then line) wins; later ones are quarantined as ``duplicate_key``/``duplicate_row``.
Quarantine rows of a re-delivered source file replace that file's earlier quarantine rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from taxloop.load.discover import TableSource
from taxloop.load.rules import (
    dedup_key,
    first_failure_sql,
    ident,
    lit,
    rule_sql,
    table_checks,
    trimmed_select,
    typed_expr,
)


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


def _has_parts(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("*.parquet"))


def check_table(con: duckdb.DuckDBPyConnection, table: TableSource, raw_sql: str, load_id: str) -> str:
    """Materialise ``__chk_<table>``: the raw text rows plus ``_rule`` and ``_reason`` (NULL = the row is good)."""
    spec = table.spec
    checks = table_checks(spec)
    keys, dup_rule = dedup_key(spec)
    idx = first_failure_sql(checks)
    rule, reason = rule_sql(checks, "_rule_idx", dup_rule)
    window = f"PARTITION BY _rule_idx = 0, {', '.join(keys)} ORDER BY _file_idx, _src_line"
    chk = f"__chk_{spec.name}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {chk} AS"
        f" WITH t AS (SELECT *, {trimmed_select(spec)} FROM ({raw_sql})),"
        f" c AS (SELECT *, {idx} AS _rule_idx FROM t),"
        f" d AS (SELECT *, row_number() OVER w AS _dup_rank,"
        f" first_value(_src_file || ':' || _src_line) OVER w AS _dup_first FROM c WINDOW w AS ({window}))"
        f" SELECT *, {rule} AS _rule, {reason} AS _reason, {lit(load_id)} AS _load_id FROM d"
    )
    return chk


def loaded_select(table: TableSource, chk: str) -> str:
    """SQL of the good rows cast to the warehouse types, extras as text, lineage last."""
    typed = [f"{typed_expr(c)} AS {ident(n)}" for n, c in table.spec.columns.items()]
    extras = [ident(e) for e in table.extras]
    cols = ", ".join([*typed, *extras, "_src_file", "_src_line", "_load_id"])
    return f"SELECT {cols} FROM {chk} WHERE _rule IS NULL"


def quarantine_select(table: TableSource, chk: str) -> str:
    """SQL of the rejected rows with their raw text values, rule, reason and lineage."""
    raw = [ident(n) for n in [*table.spec.columns, *table.extras]]
    cols = ", ".join([*raw, "_src_file", "_src_line", "_rule", "_reason", "_raw_line", "_load_id"])
    return f"SELECT {cols} FROM {chk} WHERE _rule IS NOT NULL"


def _copy(con: duckdb.DuckDBPyConnection, sql: str, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    target = lit(str(folder / "part-0.parquet"))
    con.execute(f"COPY ({sql}) TO {target} (FORMAT parquet, COMPRESSION zstd)")
    return int(con.execute(f"SELECT count(*) FROM read_parquet({_glob(folder)})").fetchall()[0][0])


def stage_table(
    con: duckdb.DuckDBPyConnection, table: TableSource, chk: str, staging: Path, tables_dir: Path, quarantine_dir: Path
) -> StagedTable:
    """Write the merged table and quarantine of ``table`` under ``staging`` (the warehouse is not touched)."""
    name = table.name
    out = StagedTable()
    for rule, n in con.execute(f"SELECT _rule, count(*) FROM {chk} GROUP BY _rule ORDER BY _rule").fetchall():
        out.rows_checked += int(n)
        if rule is None:
            out.rows_loaded = int(n)
        else:
            out.by_rule[str(rule)] = int(n)
    out.rows_quarantined = sum(out.by_rule.values())
    new = staging / "new" / name
    _copy(con, loaded_select(table, chk), new)
    final = staging / "tables" / name
    if _has_parts(tables_dir):
        names = table.spec.key or list(table.spec.columns)
        match = " AND ".join(f"n.{ident(k)} IS NOT DISTINCT FROM o.{ident(k)}" for k in names)
        old = f"read_parquet({_glob(tables_dir)}, union_by_name=true)"
        kept = f"SELECT * FROM {old} o WHERE NOT EXISTS (SELECT 1 FROM read_parquet({_glob(new)}) n WHERE {match})"
        old_rows = int(con.execute(f"SELECT count(*) FROM {old}").fetchall()[0][0])
        out.rows_after = _copy(con, f"SELECT * FROM read_parquet({_glob(new)}) UNION ALL BY NAME {kept}", final)
        out.rows_replaced = old_rows - (out.rows_after - out.rows_loaded)
    else:
        final.parent.mkdir(parents=True, exist_ok=True)
        new.rename(final)
        out.rows_after = out.rows_loaded
    files = ", ".join(lit(str(f.path)) for f in table.files)
    quarantine = quarantine_select(table, chk)
    if _has_parts(quarantine_dir):
        old_q = f"read_parquet({_glob(quarantine_dir)}, union_by_name=true)"
        quarantine = f"{quarantine} UNION ALL BY NAME SELECT * FROM {old_q} WHERE _src_file NOT IN ({files})"
    out.quarantine_after = _copy(con, quarantine, staging / "quarantine" / name)
    return out
