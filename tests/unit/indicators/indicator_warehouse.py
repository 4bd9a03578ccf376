"""Write crafted cities into one warehouse (contract column types) and build the features."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from indicator_city import City, Row

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.contract.schema import load_contract
from taxloop.features import build_features

_ARROW = {
    "str": pa.string(),
    "enum": pa.string(),
    "period": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "decimal": pa.decimal128(18, 2),
    "int": pa.int64(),
}


def arrow_table(table: str, rows: list[Row]) -> pa.Table:
    """Rows as an Arrow table with the contract's column types."""
    spec = load_contract().table(table)
    arrays = {}
    for name, col in spec.columns.items():
        values = [r.get(name) for r in rows]
        if col.type == "decimal":
            floats = pa.array([None if v is None else round(float(v), 2) for v in values], type=pa.float64())
            arrays[name] = pc.cast(pc.round(floats, 2), pa.decimal128(18, 2), safe=False)
        elif col.type in ("date", "timestamp"):
            arrays[name] = pc.cast(pa.array(values, type=pa.string()), _ARROW[col.type])
        elif col.type == "int":
            arrays[name] = pa.array(values, type=pa.int64())
        else:
            arrays[name] = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    return pa.table(arrays)


def write_tables(cities: Iterable[City], root: Path, skip: Iterable[str] = ()) -> Warehouse:
    """Write every city's contract tables as Parquet into the warehouse at ``root``."""
    merged: dict[str, list[Row]] = {}
    for city in cities:
        for table, rows in city.tables.items():
            merged.setdefault(table, []).extend(rows)
    wh = Warehouse(root).ensure()
    skipped = set(skip)
    for table, rows in merged.items():
        if table in skipped or not rows:
            continue
        folder = wh.table_dir(table)
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(arrow_table(table, rows), folder / "part-0.parquet")
    return wh


def build_warehouse(cities: Iterable[City], root: Path, skip: Iterable[str] = ()) -> DuckDBBackend:
    """Write the cities into one warehouse at ``root``, build the features on DuckDB, return the backend."""
    backend = DuckDBBackend(write_tables(cities, root, skip), threads=1)
    build_features(backend)
    return backend
