"""Column-level pruning of feature SQL (taxloop.features.prune) and the row-set guard (taxloop.features.rowset)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.features import build_pruned
from taxloop.features.build import FeatureBuildError
from taxloop.features.prune import columns_read, output_columns, parse, prune
from taxloop.features.rowset import blank_values, blind_to_blank_rows
from taxloop.risk.library import load_library

CHAIN = """
WITH a AS (SELECT tin, period, sum(x) AS ax, sum(y) AS ay FROM src_a GROUP BY tin, period),
b AS (SELECT tin, period, sum(x) AS bx FROM src_b GROUP BY tin, period),
c AS (SELECT tin, period, max(x) AS cx FROM src_c GROUP BY tin, period),
one AS (SELECT max(x) AS top FROM src_c),
reg AS (SELECT tin, min(name) AS name FROM names GROUP BY tin)
SELECT k.tin, k.period, coalesce(k.ax, 0) AS ax, coalesce(k.ay, 0) AS ay, coalesce(k.bx, 0) AS bx,
       CASE WHEN k.cx IS NULL THEN 0 ELSE 1 END AS c_filed, one.top, r.name
FROM (SELECT * FROM a FULL OUTER JOIN b USING (tin, period) FULL OUTER JOIN c USING (tin, period)) AS k
CROSS JOIN one
LEFT JOIN reg AS r ON r.tin = k.tin
JOIN names AS n ON n.tin = k.tin
"""


def _con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    tables = {
        "src_a(tin, period, x, y)": "('t1', '2024-01', 1, 10), ('t1', '2024-02', 2, 20)",
        "src_b(tin, period, x)": "('t1', '2024-02', 5), ('t3', '2024-05', 7)",
        "src_c(tin, period, x)": "('t1', '2024-03', 9), ('t2', '2024-01', 3)",
        "names(tin, name)": "('t1', 'A'), ('t2', 'B'), ('t3', 'C')",
    }
    for head, values in tables.items():
        name, cols = head.split("(")
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM (VALUES {values}) v({cols}")
    return con


def _rows(con: duckdb.DuckDBPyConnection, sql: str, cols: list[str]) -> list[tuple[object, ...]]:
    return sorted(con.execute(f"SELECT {', '.join(cols)} FROM ({sql})").fetchall(), key=repr)


def _cte_names(sql: str) -> set[str]:
    return {c.alias for c in parse(sql).ctes}


def test_unused_columns_ctes_and_joins_go() -> None:
    sql = prune(CHAIN, ["tin", "period", "ax"], drop_sources=True)
    assert output_columns(sql) == ["tin", "period", "ax"]
    assert _cte_names(sql) == {"a"}  # b, c leave the chain; one (CROSS) and reg (LEFT) are unused
    assert "ay" not in sql and "src_b" not in sql and "names AS n" in sql  # the inner JOIN filters: it stays


def test_full_chain_members_stay_key_only_without_drop_sources() -> None:
    sql = prune(CHAIN, ["tin", "period", "ax"], drop_sources=False)
    assert _cte_names(sql) == {"a", "b", "c"}
    body = {c.alias: [p.alias_or_name for p in c.this.expressions] for c in parse(sql).ctes}
    assert body["b"] == ["tin", "period"] and body["c"] == ["tin", "period"] and body["a"] == ["tin", "period", "ax"]


def test_pruned_rows_equal_the_full_query_on_kept_columns() -> None:
    con = _con()
    cols = ["tin", "period", "ax", "c_filed"]
    assert _rows(con, prune(CHAIN, cols, False), cols) == _rows(con, CHAIN, cols)
    dropped = _rows(con, prune(CHAIN, cols, True), cols)
    full = _rows(con, CHAIN, cols)
    assert len(full) == 5 and len(dropped) == 4  # t3/2024-05 (b only) goes: b is not read, the rows shrink
    assert set(full) - set(dropped) == {("t3", "2024-05", 0, 0)}


def test_the_first_member_of_a_chain_can_go() -> None:
    con = _con()
    cols = ["tin", "period", "bx"]
    sql = prune(CHAIN, cols, drop_sources=True)
    assert _cte_names(sql) == {"b"}
    assert _rows(con, sql, cols) == [("t1", "2024-02", 5), ("t3", "2024-05", 7)]


def test_cross_and_left_joins_stay_when_read() -> None:
    con = _con()
    cols = ["tin", "period", "top", "name"]
    sql = prune(CHAIN, cols, drop_sources=False)
    assert {"one", "reg"} <= _cte_names(sql)
    assert _rows(con, sql, cols) == _rows(con, CHAIN, cols)


def test_keep_none_is_the_whole_query_and_unknown_columns_fail() -> None:
    assert output_columns(prune(CHAIN, None)) == output_columns(CHAIN)
    with pytest.raises(ValueError):
        prune(CHAIN, ["nope"])


def test_columns_read_by_name_star_or_absent() -> None:
    assert columns_read("SELECT entity_id, sum(kwh) FROM fp GROUP BY 1", "fp") >= {"entity_id", "kwh"}
    assert columns_read("SELECT * FROM fp", "fp") is None
    assert columns_read("SELECT f.* FROM fp AS f", "fp") is None
    assert columns_read("SELECT x FROM (SELECT * FROM other) AS o JOIN fp USING (x)", "fp") == {"x"}
    assert columns_read("SELECT a FROM other", "fp") == set()


def test_blank_values_of_the_chain() -> None:
    blank = blank_values(CHAIN)
    assert blank is not None and set(blank) == {"ax", "ay", "bx", "c_filed"}
    got = duckdb.sql(f"SELECT {blank['ax'].sql()}, {blank['c_filed'].sql()}").fetchall()
    assert got == [(0, 0)]
    assert blank_values("SELECT a FROM t LEFT JOIN u USING (a)") is None


@pytest.mark.parametrize(
    ("rule", "blind"),
    [
        ("SELECT tin, count(*) FROM ft WHERE c_filed = 1 GROUP BY tin", True),
        ("SELECT tin, count(*) FROM ft WHERE ax >= 100 AND period > '2024' GROUP BY tin", True),
        ("SELECT tin, count(*) FROM ft WHERE c_filed = 0 GROUP BY tin", False),  # blank rows have c_filed 0
        ("SELECT tin, count(*) FROM ft WHERE ax >= 0 GROUP BY tin", False),
        ("SELECT tin, count(*) FROM ft GROUP BY tin", False),
        ("SELECT tin, count(*) FROM ft WHERE period > '2024' GROUP BY tin", False),  # a key: unknown
        ("SELECT f.tin FROM ft AS f JOIN other AS o ON o.tin = f.tin WHERE f.ax > 5", False),  # joins: not proven
        ("SELECT tin FROM (SELECT tin, lag(ax) OVER (ORDER BY period) AS p FROM ft) WHERE p > 5", False),
        ("SELECT tin FROM other", True),
    ],
)
def test_blind_to_blank_rows(rule: str, blind: bool) -> None:
    assert blind_to_blank_rows(rule, "ft", CHAIN) is blind


def test_pruned_build_needs_taxpayers(tmp_path: Path) -> None:
    backend = DuckDBBackend(Warehouse(tmp_path / "wh").ensure())
    try:
        with pytest.raises(FeatureBuildError, match="taxpayers"):
            build_pruned(backend, load_library(codes=["VAT_ZERO_DECL_INVOICING"]))
    finally:
        backend.close()
