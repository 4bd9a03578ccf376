"""Integrity rules run on the taxpayer scan's engine (``run_rules``) through the integrity hit profile."""

from __future__ import annotations

from pathlib import Path

import integrity_scenarios_more  # noqa: F401  (registers the remaining scenarios)
from integrity_scenarios import SCENARIOS
from integrity_world import baseline

from taxloop.integrity.scan import HITS_SCHEMA, INTEGRITY_HITS, SEVERITY_FACTOR, load_integrity_rules
from taxloop.risk.hit_profile import HIT_SCHEMA, TAXPAYER_HITS
from taxloop.risk.scan import RuleRun, run_rules

SPECS = {s.code: s for s in load_integrity_rules()}


def test_shared_engine_names_officer_and_case_and_reports_each_rule(tmp_path: Path) -> None:
    world = baseline()
    officer, evidence = SCENARIOS["FOUR_EYES"](world, True)
    case_officer, _ = SCENARIOS["APPROVE_WITHOUT_SUBMIT"](world, True)
    backend = world.backend(tmp_path)
    specs = [SPECS["FOUR_EYES"], SPECS["APPROVE_WITHOUT_SUBMIT"]]
    seen: list[RuleRun] = []
    result = run_rules(backend, specs, "s9", progress=False, profile=INTEGRITY_HITS, on_rule=seen.append)
    backend.close()
    assert result.hits.schema == HITS_SCHEMA
    assert seen == result.runs and [r.status for r in seen] == ["ok", "ok"]
    rows = result.hits.to_pylist()
    four = [r for r in rows if r["code"] == "FOUR_EYES"]
    assert {r["officer_id"] for r in four} == {officer} and all(r["case_id"] for r in four)
    assert set(evidence) <= {e for r in four for e in r["evidence"].split(";")}
    spec = SPECS["FOUR_EYES"]
    assert {(r["scan_id"], r["weight"], r["category"]) for r in four} == {
        ("s9", spec.weight * SEVERITY_FACTOR[spec.severity], spec.category)
    }
    case_hits = [r for r in rows if r["code"] == "APPROVE_WITHOUT_SUBMIT"]
    assert {r["officer_id"] for r in case_hits} == {case_officer}
    assert {r["case_id"] for r in case_hits} == {"Z1"}


def test_parameters_apply_and_unknown_ones_are_reported(tmp_path: Path) -> None:
    world = baseline()
    SCENARIOS["APPROVE_WITHOUT_SUBMIT"](world, True)
    backend = world.backend(tmp_path)
    spec = [SPECS["APPROVE_WITHOUT_SUBMIT"]]
    fired = run_rules(backend, spec, "s", progress=False, profile=INTEGRITY_HITS)
    exempt = {"APPROVE_WITHOUT_SUBMIT": {"system_pattern": ".*"}}
    quiet = run_rules(backend, spec, "s", progress=False, profile=INTEGRITY_HITS, params=exempt)
    bad = {"APPROVE_WITHOUT_SUBMIT": {"nope": 1}}
    wrong = run_rules(backend, spec, "s", progress=False, profile=INTEGRITY_HITS, params=bad)
    backend.close()
    assert fired.hits.num_rows > 0 and quiet.hits.num_rows == 0
    assert wrong.runs[0].status == "error" and "unknown parameters ['nope']" in wrong.runs[0].message


def test_absent_column_is_skipped_for_integrity_but_an_error_for_taxpayer_rules(tmp_path: Path) -> None:
    world = baseline()
    backend = world.backend(tmp_path)
    spec = SPECS["FOUR_EYES"].model_copy(update={"sql": SPECS["FOUR_EYES"].sql.replace("s.case_id IS", "no_col IS")})
    integrity = run_rules(backend, [spec], "s", progress=False, profile=INTEGRITY_HITS)
    taxpayer = run_rules(backend, [spec], "s", progress=False, profile=TAXPAYER_HITS)
    absent = SPECS["FOUR_EYES"].model_copy(update={"tables": ["operation_log", "nowhere"]})
    skipped = run_rules(backend, [absent], "s", progress=False, profile=INTEGRITY_HITS)
    backend.close()
    assert integrity.runs[0].status == "skipped" and "no_col" in integrity.runs[0].message
    assert taxpayer.runs[0].status == "error" and "no_col" in taxpayer.runs[0].message
    assert integrity.hits.schema == HITS_SCHEMA and taxpayer.hits.schema == HIT_SCHEMA
    assert skipped.runs[0].status == "skipped" and "nowhere" in skipped.runs[0].message
