"""The indicator library: every file loads, compiles for DuckDB and Spark, and fires on its crafted case only."""

from __future__ import annotations

import pytest
from ind_library import LIBRARY, LibraryRun, all_cases

from taxloop.risk.library import KNOWN_SCHEMES as LIBRARY_SCHEMES
from taxloop.rules.compile import compile_rule
from taxloop.rules.spec import OUTPUT_COLUMNS, TAXPAYER_CATEGORIES, RuleSpec, load_rules
from taxloop.synth.schemes import OTHER_SCHEMES, WINDOW_SCHEMES

CASES = all_cases()
CASE_IDS = [(code, kind) for code in sorted(CASES) for kind in ("fires", "quiet")]
SPECS = [s for s in load_rules(LIBRARY) if s.category != "network"]  # network rules: the network area
# Every scheme the synthetic city plants (window and annual schemes plus the three gang roles).
PLANTED_SCHEMES = {code for code, _ in WINDOW_SCHEMES + OTHER_SCHEMES} | {
    "fake_invoicing_source",
    "pass_through",
    "invoice_recipient",
}
KNOWN_SCHEMES = set(LIBRARY_SCHEMES)


def test_known_schemes_are_the_planted_ones() -> None:
    assert KNOWN_SCHEMES == PLANTED_SCHEMES


def test_library_size_and_coverage() -> None:
    assert len(SPECS) >= 60
    categories = {s.category for s in SPECS}
    assert set(TAXPAYER_CATEGORIES) - {"network"} <= categories
    for spec in SPECS:
        assert spec.subject == "taxpayer" and spec.status == "active", spec.code
        assert spec.schemes and set(spec.schemes) <= KNOWN_SCHEMES, spec.code
        assert spec.source.endswith(f"{spec.category}/{spec.code}.yaml"), spec.source
    covered = {scheme for s in SPECS for scheme in s.schemes}
    assert covered >= KNOWN_SCHEMES


def test_every_indicator_has_both_cases() -> None:
    assert sorted(CASES) == sorted(s.code for s in SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_compiles_for_spark(spec: RuleSpec) -> None:
    sql = compile_rule(spec, "spark")
    assert ":" + next(iter(spec.params), "nothing") not in sql
    assert "SELECT" in sql.upper()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_runs_and_returns_the_output_columns(spec: RuleSpec, library_run: LibraryRun) -> None:
    assert spec.code not in library_run.errors, library_run.errors.get(spec.code)
    assert set(OUTPUT_COLUMNS) | {"tin"} <= set(library_run.columns[spec.code])


def test_normal_world_is_quiet(library_run: LibraryRun) -> None:
    normal = set(library_run.normal.firms)
    noisy = {code: sorted(library_run.subjects(code) & normal) for code in library_run.rows}
    assert {k: v for k, v in noisy.items() if v} == {}


@pytest.mark.parametrize(("code", "kind"), CASE_IDS, ids=[f"{c}-{k}" for c, k in CASE_IDS])
def test_case(code: str, kind: str, library_run: LibraryRun) -> None:
    assert code not in library_run.errors, library_run.errors.get(code)
    city = library_run.worlds[(code, kind)]
    rows = [r for r in library_run.rows[code] if r["subject_id"] == city.T]
    if kind == "quiet":
        assert rows == [], f"{code} fired on its quiet case: {rows[:3]}"
        return
    assert rows, f"{code} did not fire on its case"
    for r in rows:
        assert r["value"] is not None and r["threshold"] is not None and r["evidence"], r
        assert r["tin"] == city.T
