"""The month table on Spark: a warehouse keyed by ``taxloop keys`` (which writes ``derived/tin_months``) gives the
same ``features_period`` on Spark as on DuckDB (the table the month table feeds), both reading the month table in
place of the four monthly sources."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.keys import prepare_keys
from taxloop.analytics.tin_months import MONTHLY_SOURCES
from taxloop.analytics.warehouse import Warehouse
from taxloop.features import build_features
from taxloop.features.months import months_covered
from taxloop.load.keys import index_warehouse

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _city(root: Path) -> Warehouse:
    from taxloop.synth.city import generate_city
    from taxloop.synth.params import SynthParams

    city = root / "city"
    generate_city(city, SynthParams(taxpayers=300, months=12, seed=5, fmt="parquet"), show_progress=False)
    wh = Warehouse(root / "wh").ensure()
    for entry in city.iterdir():
        if entry.name != "truth":
            target = wh.table_dir(entry.name.removesuffix(".parquet"))
            target.mkdir(parents=True)
            for i, part in enumerate([entry] if entry.is_file() else sorted(entry.glob("*.parquet"))):
                (target / f"part-{i}.parquet").write_bytes(part.read_bytes())
    return wh


def _value(v: object) -> object:
    """A value as both engines' answers compare (Spark may return a DECIMAL where DuckDB returns a DOUBLE)."""
    return round(float(v), 6) if isinstance(v, (float, Decimal)) else v


def _rows(backend, table: str) -> dict[tuple[object, ...], dict[str, object]]:  # type: ignore[no-untyped-def]
    rows = backend.query(f"SELECT * FROM {table}").to_pylist()
    return {(r["tin"], r["period"]): {k: _value(v) for k, v in r.items()} for r in rows}


def test_spark_reads_the_month_table_and_builds_duckdbs_features(tmp_path: Path, spark_session) -> None:  # type: ignore[no-untyped-def]
    from taxloop.analytics.spark_backend import SparkBackend

    wh = _city(tmp_path)
    index_warehouse(wh)
    duck = DuckDBBackend(wh)
    spark = SparkBackend(wh, session=spark_session)
    for backend in (duck, spark):
        assert months_covered(backend, prepare_keys(backend)) == frozenset(MONTHLY_SOURCES)
    build_features(duck)
    expected = _rows(duck, "features_period")
    duck.close()
    build_features(spark, tables=["features_period"])
    spark.refresh()
    assert _rows(spark, "features_period") == expected
    assert sum(r["vat_filed"] == 1 for r in expected.values()) > 1000
    assert sum(r["iit_filed"] == 1 for r in expected.values()) > 100
