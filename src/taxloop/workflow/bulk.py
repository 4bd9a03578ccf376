"""Bulk writes through the DB-API ``executemany`` (bypassing per-row statement compilation).

Values still go through each column type's SQLAlchemy bind processor, so JSON, booleans, dates and
numerics are stored exactly as the ORM-less Core path would store them, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

CHUNK = 20_000


def _placeholder(conn: sa.Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _processors(conn: sa.Connection, table: sa.Table, cols: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    return [
        _json if isinstance(table.c[c].type, sa.JSON) else table.c[c].type.bind_processor(conn.dialect) for c in cols
    ]


def _convert(
    rows: Sequence[dict[str, Any]], cols: Sequence[str], procs: list[Callable[[Any], Any] | None]
) -> list[tuple[Any, ...]]:
    return [tuple(p(r[c]) if p is not None else r[c] for c, p in zip(cols, procs, strict=True)) for r in rows]


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``."""
    if not rows:
        return
    cols = list(rows[0])
    ph = _placeholder(conn)
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join([ph] * len(cols))})"
    procs = _processors(conn, table, cols)
    for start in range(0, len(rows), CHUNK):
        conn.exec_driver_sql(sql, _convert(rows[start : start + CHUNK], cols, procs))  # type: ignore[arg-type]


def bulk_update_versioned(conn: sa.Connection, table: sa.Table, key: str, rows: Sequence[dict[str, Any]]) -> int:
    """``UPDATE ... SET cols, version = version + 1 WHERE key = ? AND version = ?`` per row; returns rows changed."""
    if not rows:
        return 0
    cols = [c for c in rows[0] if c not in (key, "version")]
    ph = _placeholder(conn)
    sets = ", ".join(f"{c} = {ph}" for c in cols)
    sql = f"UPDATE {table.name} SET {sets}, version = version + 1 WHERE {key} = {ph} AND version = {ph}"
    order = [*cols, key, "version"]
    procs = _processors(conn, table, order)
    changed = 0
    for start in range(0, len(rows), CHUNK):
        result = conn.exec_driver_sql(sql, _convert(rows[start : start + CHUNK], order, procs))  # type: ignore[arg-type]
        changed += max(result.rowcount, 0)
    return changed
