"""Every integrity rule file fires on its planted violation and stays quiet on its near miss."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import integrity_scenarios_more  # noqa: F401  (registers the remaining scenarios)
import pytest
from integrity_scenarios import SCENARIOS
from integrity_world import baseline

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.integrity.scan import load_integrity_rules, run_integrity_rules
from taxloop.rules.spec import RuleSpec

#: Officers a scenario legitimately flags besides the main one (the review rejects the decider and the closer).
ALSO_FLAGGED = {"REVIEW_UNFAIR": {"A1"}}
SPECS = {s.code: s for s in load_integrity_rules()}


def test_library_has_forty_rules_in_four_categories() -> None:
    assert len(SPECS) >= 40
    assert {s.category for s in SPECS.values()} == {
        "tax_service",
        "process_response",
        "inspection_evaluation",
        "tax_filing",
    }
    assert {s.subject for s in SPECS.values()} == {"officer", "case"}


def test_every_rule_has_a_scenario() -> None:
    assert sorted(set(SPECS) - set(SCENARIOS)) == []
    assert sorted(set(SCENARIOS) - set(SPECS)) == []


def test_baseline_is_clean_for_every_rule(tmp_path: Path) -> None:
    backend = baseline().backend(tmp_path)
    hits, runs = run_integrity_rules(backend, list(SPECS.values()))
    backend.close()
    assert [r for r in runs if r.status != "ok"] == []
    assert hits.num_rows == 0, hits.to_pylist()[:3]


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBBackend]:
    """One DuckDB connection for the module; each test replaces its tables."""
    backend = DuckDBBackend(Warehouse(tmp_path_factory.mktemp("wh")).ensure(), threads=1)
    yield backend
    backend.close()


def _spec(code: str) -> RuleSpec:
    return SPECS[code]


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_rule_fires(code: str, duck: DuckDBBackend) -> None:
    world = baseline()
    officer, evidence = SCENARIOS[code](world, True)
    hits = world.run(_spec(code), duck)
    mine = [h for h in hits if h["officer_id"] == officer]
    assert mine, f"{code}: no hit for {officer}; hits: {hits}"
    found = {e for h in mine for e in (h["evidence"] or "").split(";")}
    assert set(evidence) <= found, f"{code}: evidence {found} lacks {set(evidence) - found}"
    assert {h["officer_id"] for h in hits} == {officer} | ALSO_FLAGGED.get(code, set()), (
        f"{code}: other officers flagged: {hits}"
    )
    if _spec(code).subject == "case":
        assert all(h["case_id"] for h in mine)


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_rule_quiet_on_near_miss(code: str, duck: DuckDBBackend) -> None:
    world = baseline()
    SCENARIOS[code](world, False)
    hits = world.run(_spec(code), duck)
    assert hits == [], f"{code}: fired on the near miss: {hits}"
