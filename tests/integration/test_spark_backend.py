"""The Spark backend answers the same DuckDB-dialect SQL over the same files."""

from pathlib import Path

import pyarrow as pa
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.spark_backend import SparkBackend
from taxloop.analytics.warehouse import Warehouse

pytestmark = pytest.mark.spark


def test_same_answer_as_duckdb(tmp_path: Path, spark_session) -> None:  # type: ignore[no-untyped-def]
    wh = Warehouse(tmp_path / "wh").ensure()
    duck = DuckDBBackend(wh)
    duck.write_arrow("t", pa.table({"k": ["x", "y", "x"], "v": [1, 2, 3]}))
    sql = "SELECT k, sum(v) AS s, count(*) AS n FROM t GROUP BY k ORDER BY k"
    spark = SparkBackend(wh, session=spark_session)
    assert spark.query(sql).to_pylist() == duck.query(sql).to_pylist()
    spark.materialize("t2", "SELECT k, v * 2 AS v2 FROM t")
    duck.refresh()
    assert duck.query("SELECT sum(v2) AS s FROM t2").column("s").to_pylist() == [12]
