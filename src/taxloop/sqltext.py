"""Quoting text into generated SQL: one definition for every module that writes SQL by hand.

Both follow standard SQL (and DuckDB, PostgreSQL, SQLite, Spark SQL with ANSI quoting): an identifier in double
quotes with embedded double quotes doubled, a string literal in single quotes with embedded single quotes doubled.
"""

from __future__ import annotations


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
