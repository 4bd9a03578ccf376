"""The same rule files give identical hits and scores on DuckDB and on Spark (local mode)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.spark_backend import SparkBackend
from taxloop.risk.library import load_library
from taxloop.risk.pipeline import run_scan
from taxloop.risk.scoring import ScoringParams

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from risk_scan.city import RULES, build_city, expected_hits

pytestmark = pytest.mark.spark

HIT_SQL = "SELECT code, subject_id, tin, period, value, threshold, evidence FROM indicator_hits"
SCORE_SQL = "SELECT rank, entity_id, tins, score, level, indicators, selection FROM risk_scores ORDER BY rank"


def _scan(backend, scan_id: str) -> tuple[set[tuple[object, ...]], list[dict[str, object]]]:  # type: ignore[no-untyped-def]
    run_scan(backend, load_library(RULES), ScoringParams(), 0.3, 11, scan_id=scan_id, progress=False)
    hits = {tuple(r.values()) for r in backend.query(HIT_SQL).to_pylist()}
    return hits, backend.query(SCORE_SQL).to_pylist()


def test_duckdb_and_spark_agree(tmp_path: Path, spark_session) -> None:  # type: ignore[no-untyped-def]
    duck_hits, duck_scores = _scan(DuckDBBackend(build_city(tmp_path / "d")), "S1")
    spark_hits, spark_scores = _scan(SparkBackend(build_city(tmp_path / "s"), session=spark_session), "S1")
    assert {(h[0], h[2], h[3]) for h in duck_hits} == expected_hits()
    assert spark_hits == duck_hits
    assert spark_scores == duck_scores
