"""The scan engine runs rule files, honours overrides and periods, and stores hits with evidence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.risk.library import load_library
from taxloop.risk.pipeline import run_scan
from taxloop.risk.scan import PeriodRange, run_rules
from taxloop.risk.scoring import ScoringParams
from taxloop.rules.spec import RuleFileError

from .city import RULES, expected_hits


def _hit_set(backend: DuckDBBackend) -> set[tuple[str, str, str]]:
    rows = backend.query("SELECT code, tin, period FROM indicator_hits").to_pylist()
    return {(r["code"], r["tin"], r["period"]) for r in rows}


def test_scan_stores_exactly_the_expected_hits(duck: DuckDBBackend) -> None:
    outcome = run_scan(duck, load_library(RULES), ScoringParams(), 0.0, 1, progress=False)
    assert _hit_set(duck) == expected_hits()
    status = {r.code: r.status for r in outcome.rules}
    assert status == {"TEXPORT": "skipped", "TINVGAP": "ok", "TLOWSALES": "ok", "TZERO": "ok"}
    row = duck.query("SELECT * FROM indicator_hits WHERE code = 'TINVGAP'").to_pylist()[0]
    assert row["evidence"] == "invoiced=5000.0;declared=1000.0"
    assert (row["value"], row["threshold"], row["weight"], row["severity"], row["category"]) == (
        5.0,
        1.2,
        3.0,
        "high",
        "invoice",
    )
    assert row["scan_id"] == outcome.scan_id


def test_overrides_pick_threshold_per_region_and_industry(duck: DuckDBBackend) -> None:
    run_scan(duck, load_library(RULES, codes=["TLOWSALES"]), ScoringParams(), 0.0, 1, progress=False)
    rows = duck.query("SELECT DISTINCT tin, threshold FROM indicator_hits").to_pylist()
    # T01 is industry C (floor 500); T05 default (100); T12 region R2 (50); T03/T04 (sales 80) spared by R2.
    assert {(r["tin"], r["threshold"]) for r in rows} == {("T01", 500.0), ("T05", 100.0), ("T12", 50.0)}


def test_hits_are_mapped_to_resolved_taxpayers(duck: DuckDBBackend) -> None:
    run_scan(duck, load_library(RULES), ScoringParams(), 0.0, 1, progress=False)
    rows = duck.query("SELECT subject_id, tin FROM indicator_hits WHERE code = 'TZERO'").to_pylist()
    assert {(r["subject_id"], r["tin"]) for r in rows} == {("T05", "T05"), ("E11", "T12")}


def test_without_entity_map_entity_is_the_tin(city, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(city.table_dir("entity_map", "derived"))
    backend = DuckDBBackend(city)
    run_scan(backend, load_library(RULES), ScoringParams(), 0.0, 1, progress=False)
    subjects = {r["subject_id"] for r in backend.query("SELECT subject_id FROM indicator_hits").to_pylist()}
    assert "T12" in subjects and "E11" not in subjects
    assert backend.query("SELECT count(*) AS n FROM risk_scores").column("n").to_pylist() == [12]


def test_period_filter_keeps_only_the_range(duck: DuckDBBackend) -> None:
    result = run_rules(duck, load_library(RULES), "s1", PeriodRange.parse("2024-02..2024-03"), progress=False)
    periods = set(result.hits.column("period").to_pylist())
    assert periods == {"2024-02", "2024-03"}
    assert PeriodRange.parse("2024") == PeriodRange("2024-01", "2024-12")
    cond = PeriodRange.parse("2024-02..2025-01").sql("p")
    rows = duck.query(f"SELECT p FROM (VALUES ('2024-01'), ('2024-02'), ('2025-01-31'), ('2025-02'), ('2023'),"
                      f" ('2024'), ('2025'), (NULL)) v(p) WHERE {cond}").column("p").to_pylist()  # fmt: skip
    assert sorted(rows, key=str) == ["2024", "2024-02", "2025", "2025-01-31", None]
    with pytest.raises(ValueError, match="bad period"):
        PeriodRange.parse("24-1")


def test_broken_rule_is_reported_and_others_still_run(duck: DuckDBBackend, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    broken = (folder / "vat" / "TZERO.yaml").read_text(encoding="utf-8").replace("FROM vat_returns", "FROM nowhere")
    (folder / "vat" / "TZERO.yaml").write_text(broken.replace("[vat_returns]", "[vat_returns]"), encoding="utf-8")
    result = run_rules(duck, load_library(folder), "s1", progress=False)
    status = {r.code: r.status for r in result.runs}
    assert status["TZERO"] == "error" and status["TLOWSALES"] == "ok"
    assert "nowhere" in next(r.message for r in result.runs if r.code == "TZERO")


def test_selection_of_rules_by_status_and_code() -> None:
    assert "TDRAFT" not in [s.code for s in load_library(RULES)]
    assert [s.code for s in load_library(RULES, codes=["tdraft"])] == ["TDRAFT"]
    with pytest.raises(RuleFileError, match="NOPE"):
        load_library(RULES, codes=["NOPE"])
