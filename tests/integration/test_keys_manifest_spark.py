"""The key manifest on Spark: ``prepare_keys`` is shared, the manifest check is file-system only, so a warehouse keyed
by ``taxloop keys`` is trusted on Spark without a query, and a keyed file rewritten since is looked up again; the
scan's hits stay those of DuckDB."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.keys import DICTIONARY, SCAN_DICTIONARY, prepare_keys
from taxloop.analytics.spark_backend import SparkBackend
from taxloop.load.keys import index_warehouse
from taxloop.risk.library import load_library
from taxloop.risk.pipeline import run_scan
from taxloop.risk.scoring import ScoringParams

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from risk_scan.city import RULES, build_city

pytestmark = pytest.mark.spark

HIT_SQL = "SELECT code, subject_id, tin, period, value, threshold FROM indicator_hits"


class _CountingSpark(SparkBackend):
    """A Spark backend that counts the queries it is asked."""

    asked = 0

    def query(self, sql: str) -> pa.Table:
        self.asked += 1
        return super().query(sql)


def _hits(backend, scan_id: str) -> set[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    run_scan(backend, load_library(RULES), ScoringParams(), 0.3, 11, scan_id=scan_id, progress=False)
    return {tuple(r.values()) for r in backend.query(HIT_SQL).to_pylist()}


def test_spark_trusts_recorded_keys_and_looks_up_rewritten_ones(tmp_path: Path, spark_session) -> None:  # type: ignore[no-untyped-def]
    wh = build_city(tmp_path / "wh", with_entity_map=False)
    index_warehouse(wh)
    spark = _CountingSpark(wh, session=spark_session)
    assert prepare_keys(spark) == {} and spark.asked == 0  # file system only
    part = sorted(wh.table_dir("vat_returns").glob("*.parquet"))[0]
    st = part.stat()
    os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # rewritten since it was recorded
    spark.refresh()
    relations = prepare_keys(spark)
    assert relations[DICTIONARY] == SCAN_DICTIONARY and set(relations) == {DICTIONARY, "vat_returns"}
    spark.refresh()
    assert _hits(spark, "S1") == _hits(DuckDBBackend(wh), "S1")
