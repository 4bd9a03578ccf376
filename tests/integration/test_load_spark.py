"""The tables the loader writes are served the same by Spark and DuckDB (one warehouse, two backends)."""

from __future__ import annotations

from pathlib import Path

import pytest

from load_fixtures import small_dataset
from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.spark_backend import SparkBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.load import load_dataset

pytestmark = pytest.mark.spark


def test_spark_reads_loaded_tables(tmp_path: Path, spark_session) -> None:  # type: ignore[no-untyped-def]
    wh = Warehouse(tmp_path / "wh")
    load_dataset(small_dataset(tmp_path / "d"), wh)
    sql = (
        "SELECT kind, count(*) AS n, sum(amount) AS amount, min(issued_on) AS first, max(_src_line) AS line"
        " FROM invoices GROUP BY kind ORDER BY kind"
    )
    duck = DuckDBBackend(wh)
    spark = SparkBackend(wh, session=spark_session)
    assert spark.query(sql).to_pylist() == duck.query(sql).to_pylist()
    ts = "SELECT op_id, ts, amount FROM operation_log ORDER BY op_id"
    assert spark.query(ts).to_pylist() == duck.query(ts).to_pylist()
    duck.close()
