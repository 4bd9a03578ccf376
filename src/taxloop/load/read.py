"""Read the files of one table into DuckDB as text, with lineage and malformed rows kept (one SQL per file).

CSV is read with every column as VARCHAR, strict RFC 4180 parsing, and DuckDB's reject store: a row with the
wrong number of fields or a broken quote becomes a ``malformed_row`` (never dropped), with its line number.
``_src_line`` is the 1-based data row (the header is row 0). Parquet values are rendered as text so that
both formats go through the same rules; floats that hold a 2-decimal amount are rendered exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from taxloop.contract.schema import TableSpec
from taxloop.load.discover import SourceFile, TableSource
from taxloop.load.errors import LoadError
from taxloop.load.rules import ident, lit, read_expr

LINEAGE = ("_file_idx", "_src_file", "_src_line", "_malformed", "_raw_line")


@dataclass(frozen=True)
class FileRead:
    """The SQL that yields one file's rows (text columns + lineage) and how many data rows it had."""

    select: str
    rows: int
    temp_tables: tuple[str, ...]
    path: Path


def _columns_sql(spec: TableSpec, extras: list[str], src: SourceFile, render: dict[str, str]) -> str:
    out = []
    for name in [*spec.columns, *extras]:
        expr = render.get(name, ident(name)) if name in src.columns else "NULL"
        out.append(f"{read_expr(spec.columns.get(name), expr)} AS {ident(name)}")
    return ", ".join(out)


def _csv(con: duckdb.DuckDBPyConnection, table: TableSource, src: SourceFile, idx: int) -> FileRead:
    raw, rej, scan = f"__csv_{idx}", f"__rej_{idx}", f"__scan_{idx}"
    cols = "{" + ", ".join(f"{lit(c)}: 'VARCHAR'" for c in src.columns) + "}"
    path = lit(str(src.path))
    try:
        con.execute("SET preserve_insertion_order=true")  # rowid = order in the file: line numbers depend on it
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT * FROM read_csv({path}, header=true, auto_detect=false,"
            f" columns={cols}, delim=',', quote='\"', escape='\"', strict_mode=true, store_rejects=true,"
            f" rejects_table='{rej}', rejects_scan='{scan}', rejects_limit=0)"
        )
        con.execute("SET preserve_insertion_order=false")
        kinds = con.execute(f"SELECT DISTINCT error_type, min(line) - 1 FROM {rej} GROUP BY 1").fetchall()
    except duckdb.Error as exc:
        raise LoadError(src.path, f"cannot be read as CSV / 无法按 CSV 读取: {exc}") from None
    for kind, line in kinds:
        if "ENCODING" in str(kind).upper():
            raise LoadError(src.path, "not UTF-8 encoded / 文件不是 UTF-8 编码", line=int(line))
    bad = f"__bad_{idx}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {bad} AS {_bad_lines_sql(rej)}")
    n_bad = int(con.execute(f"SELECT count(*) FROM {bad}").fetchall()[0][0])
    good = int(con.execute(f"SELECT count(*) FROM {raw}").fetchall()[0][0])
    # good row k (1-based) sits at data line k + (number of rejected lines r_i with r_i - i < k)
    gaps = f"__gap_{idx}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {gaps} AS SELECT gap, max(i) AS cum FROM (SELECT line - 1 - row_number()"
        f" OVER (ORDER BY line) AS gap, row_number() OVER (ORDER BY line) AS i FROM (SELECT DISTINCT line FROM {rej}))"
        " GROUP BY gap"
    )
    extras = table.extras
    names = [*table.spec.columns, *extras]
    good_sql = (
        f"SELECT {_columns_sql(table.spec, extras, src, {})}, {idx} AS _file_idx, {path} AS _src_file,"
        f" CAST(r.k + coalesce(g.cum, 0) AS BIGINT) AS _src_line, CAST(NULL AS VARCHAR) AS _malformed,"
        f" CAST(NULL AS VARCHAR) AS _raw_line"
        f" FROM (SELECT rowid + 1 AS k, * FROM {raw}) r ASOF LEFT JOIN {gaps} g ON r.k > g.gap"
    )
    nulls = ", ".join(f"CAST(NULL AS VARCHAR) AS {ident(n)}" for n in names)
    bad_sql = f"SELECT {nulls}, {idx} AS _file_idx, {path} AS _src_file, _src_line, _malformed, _raw_line FROM {bad}"
    return FileRead(f"{good_sql} UNION ALL {bad_sql}", good + n_bad, (raw, rej, scan, gaps, bad), src.path)


def _bad_lines_sql(rej: str) -> str:
    """SQL of one quarantine line per rejected CSV record.

    An unterminated quote swallows every following line into one record: it is split back into its lines so
    that each of them is counted and quarantined with its own line number.
    """
    nl = "chr(10)"
    text = f"rtrim(replace(csv_line, chr(13), ''), {nl})"
    return (
        "WITH b AS (SELECT line - 1 AS first, min(error_type) AS kind,"
        f" string_agg(DISTINCT error_message, '; ') AS msg, min({text}) AS text FROM {rej} GROUP BY line),"
        f" s AS (SELECT *, CASE WHEN kind = 'UNQUOTED VALUE' THEN string_split(text, {nl}) ELSE [text] END AS parts"
        " FROM b),"
        " u AS (SELECT *, unnest(range(1, len(parts) + 1)) AS i FROM s)"
        " SELECT CAST(first + i - 1 AS BIGINT) AS _src_line,"
        " CASE WHEN i = 1 THEN 'line ' || first || ': ' || kind || ' — ' || msg"
        " ELSE 'line ' || (first + i - 1) || ': swallowed by the unterminated quote of line ' || first END"
        " || ' / 行格式错误（列数或引号不对）' AS _malformed, parts[i] AS _raw_line FROM u"
    )


def _render_parquet(table: TableSource, src: SourceFile) -> dict[str, str]:
    render: dict[str, str] = {}
    for name, dtype in zip(src.columns, src.types, strict=True):
        col = table.spec.columns.get(name)
        x = ident(name)
        if col is not None and col.type == "decimal" and dtype.upper() in ("DOUBLE", "FLOAT", "REAL"):
            render[name] = (
                f"CASE WHEN abs({x} - round({x}, 2)) < 1e-6 THEN CAST(CAST(round({x}, 2) AS DECIMAL(18,2)) AS VARCHAR)"
                f" ELSE CAST({x} AS VARCHAR) END"
            )
        elif dtype.upper().startswith("TIMESTAMP"):
            render[name] = f"strftime({x}, '%Y-%m-%dT%H:%M:%S')"
    return render


def _parquet(con: duckdb.DuckDBPyConnection, table: TableSource, src: SourceFile, idx: int) -> FileRead:
    path = lit(str(src.path))
    try:
        rows = int(con.execute(f"SELECT count(*) FROM read_parquet({path})").fetchall()[0][0])
    except duckdb.Error as exc:
        raise LoadError(src.path, f"corrupt or unreadable Parquet / Parquet 文件损坏: {exc}") from None
    select = (
        f"SELECT {_columns_sql(table.spec, table.extras, src, _render_parquet(table, src))}, {idx} AS _file_idx,"
        f" {path} AS _src_file, CAST(file_row_number + 1 AS BIGINT) AS _src_line,"
        f" CAST(NULL AS VARCHAR) AS _malformed, CAST(NULL AS VARCHAR) AS _raw_line"
        f" FROM read_parquet({path}, file_row_number=true)"
    )
    return FileRead(select, rows, (), src.path)


def read_file(con: duckdb.DuckDBPyConnection, table: TableSource, src: SourceFile, idx: int) -> FileRead:
    """Prepare one file: SQL of its text rows with lineage, its data-row count, temp tables to drop later."""
    if src.fmt == "csv":
        return _csv(con, table, src, idx)
    return _parquet(con, table, src, idx)


def read_files(con: duckdb.DuckDBPyConnection, table: TableSource, offset: int = 0) -> Iterator[FileRead]:
    """Prepare the table's files one at a time (the caller drops each file's temp tables when done)."""
    for i, src in enumerate(table.files):
        yield read_file(con, table, src, offset + i)
