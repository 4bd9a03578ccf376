"""The Spark backend answers the same DuckDB-dialect SQL over the same files."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
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


def test_drop_derived_removes_the_folder_and_view_and_uncovers_a_contract_table(
    tmp_path: Path, spark_session  # type: ignore[no-untyped-def]
) -> None:
    wh = Warehouse(tmp_path / "wh").ensure()
    duck = DuckDBBackend(wh)
    duck.write_arrow("old", pa.table({"k": [1]}))
    duck.write_arrow("t", pa.table({"k": [2, 3]}))  # derived "t"
    contract = wh.table_dir("t", "tables")
    contract.mkdir(parents=True)
    pq.write_table(pa.table({"k": [9]}), contract / "part-0.parquet")
    spark = SparkBackend(wh, session=spark_session)
    assert spark.has_table("old") and spark.query("SELECT sum(k) AS s FROM t").column("s").to_pylist() == [5]
    spark.drop_derived("old")
    spark.drop_derived("t")
    assert not wh.table_dir("old", "derived").exists() and not wh.table_dir("t", "derived").exists()
    assert not spark.has_table("old") and "old" not in spark.table_names()
    with pytest.raises(Exception, match=r"(?i)old"):
        spark.query("SELECT * FROM old")
    assert spark.query("SELECT sum(k) AS s FROM t").column("s").to_pylist() == [9]  # the contract table again
