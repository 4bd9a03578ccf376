"""The whole packaged library gives the same hits on DuckDB and Spark over a small synthetic city."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.risk.library import load_library
from taxloop.risk.scan import run_rules

pytestmark = [pytest.mark.spark, pytest.mark.slow]

HIT_SQL = "SELECT code, subject_id, tin, period, value, threshold, evidence FROM indicator_hits"


def _city(root: Path) -> Warehouse:
    from taxloop.synth.city import generate_city
    from taxloop.synth.params import SynthParams

    city = root / "city"
    generate_city(city, SynthParams(taxpayers=300, months=12, seed=5, fmt="parquet"), show_progress=False)
    wh = Warehouse(root / "wh").ensure()
    for entry in city.iterdir():
        if entry.name == "truth":
            continue
        target = wh.table_dir(entry.name.removesuffix(".parquet"))
        target.mkdir(parents=True)
        for i, part in enumerate([entry] if entry.is_file() else sorted(entry.glob("*.parquet"))):
            (target / f"part-{i}.parquet").symlink_to(part)
    return wh


def _hits(backend, specs) -> tuple[dict[str, str], Counter[tuple[object, ...]]]:  # type: ignore[no-untyped-def]
    """Status of every rule and every hit row (a multiset: a duplicated hit counts twice)."""
    from taxloop.features import build_features

    build_features(backend)
    result = run_rules(backend, specs, "S1", progress=False)
    assert all(r.status != "error" for r in result.runs), [r for r in result.runs if r.status == "error"]
    rows = result.hits.select(["code", "subject_id", "tin", "period", "value", "threshold", "evidence"]).to_pylist()
    return {r.code: r.status for r in result.runs}, Counter(
        (*tuple(r.values())[:4], round(r["value"] or 0, 6), round(r["threshold"] or 0, 6), r["evidence"]) for r in rows
    )


def test_library_parity(tmp_path: Path, spark_session) -> None:  # type: ignore[no-untyped-def]
    """Every rule of the packaged library: same status and the same hit rows, evidence text included."""
    if importlib.util.find_spec("taxloop.features") is None or importlib.util.find_spec("taxloop.synth") is None:
        pytest.skip("feature layer or synth not installed")
    specs = load_library()
    if not specs:
        pytest.skip("the packaged library is empty")
    from taxloop.analytics.spark_backend import SparkBackend

    wh = _city(tmp_path / "d")
    duck_status, duck = _hits(DuckDBBackend(wh), specs)
    wh2 = _city(tmp_path / "s")
    spark_status, spark = _hits(SparkBackend(wh2, session=spark_session), specs)
    assert spark_status == duck_status
    ran = [code for code, status in duck_status.items() if status == "ok"]
    skipped = {s.code for s in specs if any(t.startswith("network_") for t in s.tables)}  # no network analysis here
    assert set(ran) == {s.code for s in specs} - skipped
    assert len({key[0] for key in duck}) >= 40, "too few rules fire on the small city for the comparison to mean much"
    assert spark == duck
