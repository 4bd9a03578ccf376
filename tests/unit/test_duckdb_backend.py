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


def _staged_tables(be: DuckDBBackend) -> list[str]:
    rows = be.con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staged'").fetchall()
    return sorted(r[0] for r in rows)


def test_staged_table_shadows_parquet_until_refresh_and_is_then_dropped(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh").ensure()
    be = DuckDBBackend(wh)
    be.write_arrow("scores", pa.table({"entity_id": ["a", "b", "c"], "score": [1.0, 2.0, 3.0]}))
    cursor = be.cursor()
    assert cursor.stage("scores", ["SELECT 'z' AS entity_id, 9.0 AS score"]) == 1
    assert be.query("SELECT sum(score) AS s FROM scores").column("s").to_pylist() == [9.0]  # every cursor sees it
    assert _staged_tables(be) == ["scores"]
    assert (wh.table_dir("scores", "derived") / "part-0.parquet").exists()  # the warehouse is untouched
    be.refresh()
    assert be.query("SELECT sum(score) AS s FROM scores").column("s").to_pylist() == [6.0]
    assert _staged_tables(be) == []  # the in-memory copy is freed with the view
    be.stage("scores", ["SELECT 'y' AS entity_id, 1.0 AS score"])
    be.materialize("scores", "SELECT 'x' AS entity_id, 2.0 AS score")
    assert _staged_tables(be) == []
    assert be.query("SELECT entity_id FROM scores").column("entity_id").to_pylist() == ["x"]
    be.stage("scan_only", ["SELECT 1 AS k"])  # staged with no table on disk: gone after a refresh
    assert be.has_table("scan_only")
    be.refresh()
    assert not be.has_table("scan_only") and _staged_tables(be) == []
    be.close()
