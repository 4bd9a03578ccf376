"""The DuckDB -> Spark rewrites of ``analytics.spark_sql`` (the Spark results are checked in tests/integration)."""

from __future__ import annotations

import pytest

from taxloop.analytics.spark_sql import to_spark_sql
from taxloop.risk.scan import missing_column


@pytest.mark.parametrize(
    ("duckdb_sql", "spark_sql"),
    [
        ("SELECT isodow(ts) FROM t", "SELECT ((DAYOFWEEK(ts) + 5) % 7 + 1) FROM t"),
        ("SELECT quantile_cont(x, 0.1) FROM t", "SELECT PERCENTILE(x, 0.1) FROM t"),
        ("SELECT ts - to_days(CAST(30 AS INTEGER)) FROM t", "SELECT ts - MAKE_DT_INTERVAL(CAST(30 AS INT)) FROM t"),
        ("SELECT ts + to_hours(2) FROM t", "SELECT ts + MAKE_DT_INTERVAL(0, 2) FROM t"),
        ("SELECT ts + to_minutes(5) FROM t", "SELECT ts + MAKE_DT_INTERVAL(0, 0, 5) FROM t"),
        ("SELECT lower(nfc_normalize(a)) FROM t", "SELECT LOWER(a) FROM t"),
        (
            r"SELECT regexp_replace(p, '^(86)(1\d+)$', '\2') FROM t",
            r"SELECT REGEXP_REPLACE(p, '^(86)(1\\d+)$', '$2') FROM t",
        ),
        ("SELECT regexp_replace(p, 'a', '$', 'g') FROM t", r"SELECT REGEXP_REPLACE(p, 'a', '\\$') FROM t"),
        ("SELECT sum(x) FROM t", "SELECT SUM(x) FROM t"),
        (
            "SELECT CAST(count(*) FILTER (WHERE s = 'void') AS HUGEINT) AS n FROM t",
            "SELECT CAST(COUNT(*) FILTER(WHERE s = 'void') AS BIGINT) AS n FROM t",
        ),
    ],
)
def test_rewrites(duckdb_sql: str, spark_sql: str) -> None:
    assert to_spark_sql(duckdb_sql) == spark_sql


def test_isodow_rewrite_is_iso_for_every_spark_day() -> None:
    # Spark's dayofweek: Sunday 1 ... Saturday 7; ISO: Monday 1 ... Sunday 7.
    iso = {spark_dow: (spark_dow + 5) % 7 + 1 for spark_dow in range(1, 8)}
    assert iso == {1: 7, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6}


@pytest.mark.parametrize(
    ("message", "missing"),
    [
        ('Binder Error: Referenced column "due_ts" not found in FROM clause!', True),
        ('Binder Error: Table "o" does not have a column named "due_ts"', True),
        ("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `due_ts` ...", True),
        ("Parser Error: syntax error at or near SELECT", False),
        ("Catalog Error: Table with name nowhere does not exist!", False),
    ],
)
def test_missing_column_messages(message: str, missing: bool) -> None:
    assert missing_column(message) is missing
