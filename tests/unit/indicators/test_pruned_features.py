"""A pruned feature build (only the columns one rule reads) gives every active rule exactly its full-build rows.

Each rule runs alone on a fresh backend over the warehouse of the indicator worlds (normal world plus one world
per fires/quiet case): ``build_pruned`` stages its feature tables in memory, shadowing the full Parquet tables
the session fixture built; the rule's rows (every output column, as a multiset) must equal its rows on the full
build. This is the proof that dropping columns, CTEs, joins and, where the row-set guard allows, whole sources
changes no hit.
"""

from __future__ import annotations

from typing import Any

import pytest
from ind_library import LibraryRun

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.features import build_pruned
from taxloop.features.build import FEATURE_TABLES
from taxloop.features.plan import plan_features
from taxloop.rules.compile import compile_rule

pytestmark = pytest.mark.slow


def _multiset(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(repr(sorted(r.items())) for r in rows)


def test_every_active_rule_same_rows_on_a_pruned_build(library_run: LibraryRun) -> None:
    assert library_run.warehouse is not None
    active = [s for s in library_run.specs.values() if s.status == "active"]
    assert len(active) >= 70
    pruned_sources = 0
    for spec in active:
        backend = DuckDBBackend(Warehouse(library_run.warehouse), threads=1)
        try:
            staged = build_pruned(backend, [spec])
            rows = backend.query(compile_rule(spec, "duckdb")).to_pylist()
        finally:
            backend.close()
        assert set(staged) <= set(FEATURE_TABLES)
        assert _multiset(rows) == _multiset(library_run.rows[spec.code]), spec.code
        plan = plan_features([spec], set(Warehouse(library_run.warehouse).names("tables")))
        pruned_sources += plan.sources_dropped.get("features_period", False)
    assert pruned_sources >= 10  # the guard lets most features_period rules drop unread sources
