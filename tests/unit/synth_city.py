"""Shared helper for the synthetic-city tests: one small city per test process, DuckDB views over it."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from taxloop.analytics.warehouse import Warehouse
from taxloop.contract.schema import load_contract
from taxloop.synth.city import generate_city
from taxloop.synth.params import SynthParams

SMALL = SynthParams(taxpayers=1500, months=24, seed=11)


@cache
def small_city() -> Path:
    """Generate (once per process) a 1,500-taxpayer, 24-month CSV city in a temporary folder."""
    root = Path(tempfile.mkdtemp(prefix="synth_test_"))
    atexit.register(shutil.rmtree, root, True)
    generate_city(root / "city", SMALL, show_progress=False)
    return root / "city"


@cache
def connect(city: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (cached) with every contract table loaded with contract types, and ``truth_*`` tables."""
    con = duckdb.connect()
    for name, spec in load_contract().tables.items():
        types = {c: col.duckdb_type for c, col in spec.columns.items()}
        types_sql = "{" + ", ".join(f"'{c}': '{t}'" for c, t in types.items()) + "}"
        con.execute(
            f"create table {name} as select * from read_csv('{city / name}.csv', header=true, types={types_sql})"
        )
    for name in ("entities", "taxpayer_schemes", "gangs", "integrity_violations"):
        con.execute(
            f"create table truth_{name} as select * from read_csv('{city}/truth/{name}.csv', "
            "header=true, all_varchar=true)"
        )
    return con


def city_warehouse(root: Path) -> Warehouse:
    """A warehouse at ``root`` holding every contract table of the small city (one Parquet part each, no keys)."""
    con = connect(small_city())
    wh = Warehouse(root).ensure()
    for name in load_contract().tables:
        folder = wh.table_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY {name} TO '{folder / 'part-0.parquet'}' (FORMAT parquet)")
    return wh


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` and fetch every row."""
    return con.execute(sql).fetchall()
