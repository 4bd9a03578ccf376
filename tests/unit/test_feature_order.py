"""The order in which the full feature build writes its Parquet parts: each TIN's rows lie together (rules and
roll-ups group them faster, Parquet stores them smaller), and a pruned scan, which stages its tables in memory,
does not pay for the sort."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow.parquet as pq
import pytest
from synth_city import city_warehouse

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.features import FEATURE_TABLES, build_features
from taxloop.features.plan import plan_features
from taxloop.features.prune import parse
from taxloop.load.keys import index_warehouse
from taxloop.risk.library import load_library

#: table -> the columns whose runs each part is written in (a group's rows together, in this order)
ORDER = {
    "features_invoice_cells": ("seller_key", "pidx"),
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
    plan = plan_features(specs, present, buckets=2)
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
