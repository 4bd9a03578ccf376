"""On a synthetic city, every planted integrity violator ranks in the top 5 % of officers, with the right
indicator and every planted operation as evidence (truth/integrity_violations.csv of `taxloop synth`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.integrity.evaluate import evaluate_planted
from taxloop.integrity.service import run_integrity_scan
from taxloop.synth.city import generate_city
from taxloop.synth.params import SynthParams

pytestmark = pytest.mark.slow


def test_planted_violators_rank_top_five_percent(tmp_path: Path) -> None:
    city = tmp_path / "city"
    generate_city(city, SynthParams(taxpayers=20000, months=24, seed=5, fmt="parquet"), show_progress=False)
    wh = Warehouse(tmp_path / "wh").ensure()
    for part in city.glob("*.parquet"):
        folder = wh.table_dir(part.stem)
        folder.mkdir(parents=True)
        shutil.copy(part, folder / "part-0.parquet")
    backend = DuckDBBackend(wh)
    try:
        summary = run_integrity_scan(backend)
        assert not [r for r in summary.runs if r.status == "error"]
        checks = evaluate_planted(backend, city / "truth" / "integrity_violations.csv")
    finally:
        backend.close()
    assert len({c.violation for c in checks}) == 8  # every kind planted at least once
    failures = [c for c in checks if not c.ok]
    assert failures == [], failures
