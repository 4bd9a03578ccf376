"""The order in which the full feature build writes its Parquet parts: each TIN's rows lie together (rules and
roll-ups group them faster, Parquet stores them smaller), and a pruned scan, which stages its tables in memory,
does not pay for the sort."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from synth_city import city_warehouse

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.keys import prepare_keys
from taxloop.features import FEATURE_TABLES, build_features
from taxloop.features.build import bucket_sql, key_span
from taxloop.features.plan import plan_features, stage_plan
from taxloop.features.prune import parse
from taxloop.load.keys import index_warehouse
from taxloop.risk.library import load_library

#: table -> the columns whose runs each part is written in (a group's rows together, in this order)
ORDER = {
    "features_period": ("tin", "pidx"),
    "features_year": ("tin", "year"),
    "features_pairs": ("seller_tin", "buyer_tin"),
}


def disorder(rows: Sequence[tuple[Any, Any]]) -> list[str]:
    """Where ``rows`` (group, then an order within it) break the order: a group met again after another one, or
    a group's second column going back."""
    seen: set[Any] = set()
    faults = []
    for i, (group, within) in enumerate(rows):
        if i and group == rows[i - 1][0]:
            if within < rows[i - 1][1]:
                faults.append(f"row {i}: {group} {within} after {rows[i - 1][1]}")
        elif group in seen:
            faults.append(f"row {i}: {group} again after other groups")
        seen.add(group)
    return faults


def test_disorder_finds_a_group_split_and_a_step_back() -> None:
    assert disorder([("a", 1), ("a", 2), ("a", 2), ("b", 1)]) == []
    assert disorder([("a", 1), ("b", 1), ("a", 2)]) == ["row 2: a again after other groups"]
    assert disorder([("a", 2), ("a", 1)]) == ["row 1: a 1 after 2"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DuckDBBackend:
    wh = city_warehouse(tmp_path_factory.mktemp("order") / "wh")
    index_warehouse(wh)
    backend = DuckDBBackend(wh)
    build_features(backend, buckets=3)
    return backend


@pytest.mark.slow
@pytest.mark.parametrize("table", sorted(ORDER))
def test_each_part_is_written_in_group_order(built: DuckDBBackend, table: str) -> None:
    parts = sorted(built.warehouse.table_dir(table, "derived").glob("*.parquet"))
    assert len(parts) == (3 if table != "features_year" else 1)
    for part in parts:
        data = pq.read_table(part, columns=list(ORDER[table]))
        assert data.num_rows > 1000
        rows = list(zip(*(data.column(c).to_pylist() for c in ORDER[table]), strict=True))
        assert disorder(rows) == [], part


def test_a_pruned_plan_stages_its_tables_unsorted() -> None:
    present = {"taxpayers", "invoices", "payments", "vat_returns", "iit_withholding", "social_insurance", "utilities"}
    specs = [s for s in load_library() if s.category != "network"]
    plan = plan_features(specs, present, buckets=2, span=1000)
    assert {"features_period", "features_year"} <= set(plan.sql)
    for table, parts in plan.sql.items():
        for sql in parts:
            assert parse(sql).args.get("order") is None, table
    assert set(ORDER) <= set(FEATURE_TABLES)


@pytest.mark.parametrize(("code", "cte"), [("INV_NEAR_QUOTA", "inv_out"), ("PAY_ARREARS_OVERDUE", "pay")])
def test_the_dropped_order_keeps_no_column_alive(code: str, cte: str) -> None:
    """The month index is only a grouping key of these rules' sources: the ORDER BY must not keep it as a column."""
    present = {"taxpayers", "invoices", "payments", "vat_returns", "iit_withholding", "social_insurance", "utilities"}
    tree = parse(plan_features(load_library(codes=[code]), present).sql["features_period"][0])
    columns = {c.alias: [s.alias_or_name for s in c.this.selects] for c in tree.ctes}
    assert "tin_key" in columns[cte]
    assert "pidx" not in columns[cte]


@pytest.mark.slow
@pytest.mark.parametrize(("table", "column"), [("features_pairs", "seller_tin"), ("features_period", "tin")])
def test_the_parts_follow_one_another_in_key_order(built: DuckDBBackend, table: str, column: str) -> None:
    """Buckets are ranges of TIN keys (a fresh dictionary numbers TINs in TIN order): part k holds only keys
    below part k+1's, so the table as a whole is in key order."""
    parts = sorted(built.warehouse.table_dir(table, "derived").glob("*.parquet"))
    ranges = [(min(values), max(values)) for values in (pq.read_table(p, columns=[column]).column(0).to_pylist()
                                                        for p in parts)]  # fmt: skip
    assert len(ranges) == 3
    assert all(ranges[i][1] < ranges[i + 1][0] for i in range(2)), ranges


@pytest.mark.parametrize("span", [1, 7, 10, 1000])
@pytest.mark.parametrize("buckets", [2, 3, 4])
def test_every_key_is_in_exactly_one_bucket(span: int, buckets: int) -> None:
    """Keys below 1, above the span and NULL included: a range that misses a row would drop it silently."""
    keys = [None, -5, 0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 250, 999, 1000, 1001, 2**31 - 1]
    con = duckdb.connect()
    values = ", ".join("(NULL)" if k is None else f"({k})" for k in keys)
    con.execute(f"CREATE TABLE t AS SELECT * FROM (VALUES {values}) AS v(tin_key)")
    parts = [con.execute(f"SELECT tin_key FROM t WHERE {bucket_sql('tin_key', k, buckets, span)}").fetchall()
             for k in range(buckets)]  # fmt: skip
    found = sorted((r[0] for p in parts for r in p), key=lambda k: (k is not None, k or 0))
    assert found == sorted(keys, key=lambda k: (k is not None, k or 0))
    if span >= buckets:  # dense keys 1..span split evenly (within the number of parts)
        dense = [con.execute(f"SELECT count(*) FROM range(1, {span + 1}) AS r(tin_key) WHERE "
                             f"{bucket_sql('tin_key', k, buckets, span)}").fetchone()[0]
                 for k in range(buckets)]  # fmt: skip
        assert sum(dense) == span and max(dense) - min(dense) < buckets, dense


def test_parts_need_the_largest_key() -> None:
    assert bucket_sql("tin_key", 0, 1, 0) == "TRUE"
    with pytest.raises(ValueError, match="span"):
        bucket_sql("tin_key", 0, 2, 0)


@pytest.mark.slow
def test_a_pruned_plan_in_parts_stages_the_rows_of_one_part(tmp_path: Path) -> None:
    """Tables without a bucket placeholder (features_tin, features_entity) are one query, not one per part:
    staged once per part they repeated every row, and the rules read the repeats (review, session 9)."""
    wh = city_warehouse(tmp_path / "wh")
    index_warehouse(wh)
    specs = load_library(codes=["VAT_SALES_BELOW_INVOICED", "PAY_ARREARS_OVERDUE", "INV_SALES_WITHOUT_PURCHASES"])
    counts = []
    for buckets in (1, 3):
        backend = DuckDBBackend(wh)
        try:
            relations = prepare_keys(backend)
            present = set(backend.table_names())
            plan = plan_features(specs, present, buckets, relations, span=key_span(backend, relations))
            assert len(plan.sql["features_tin"]) == 1 and len(plan.sql["features_period"]) == buckets
            counts.append(stage_plan(backend, plan))
        finally:
            backend.close()
    assert counts[0] == counts[1] and counts[0]["features_tin"] > 100
