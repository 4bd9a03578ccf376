"""The DuckDB backend reads and writes warehouse Parquet folders."""

from pathlib import Path

import pyarrow as pa

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse


def test_materialize_and_reopen(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh").ensure()
    be = DuckDBBackend(wh)
    n = be.write_arrow("scores", pa.table({"entity_id": ["a", "b", "c"], "score": [1.0, 2.0, 3.0]}))
    assert n == 3
    assert be.materialize("top", "SELECT * FROM scores WHERE score > 1.5") == 2
    be.close()
    again = DuckDBBackend(wh)
    assert again.has_table("top")
    assert again.query("SELECT sum(score) AS s FROM top").column("s").to_pylist() == [5.0]
    assert wh.names("derived") == ["scores", "top"]
