"""On the small synthetic city, every active rule gives the same rows on a pruned feature build as on the full one.

The city (1,500 taxpayers, 24 months, every contract table, planted schemes) is written to a warehouse, the full
feature layer is built (Parquet) and every active taxpayer rule run; then each rule alone gets a fresh backend
whose pruned feature tables (``build_pruned``) shadow the full ones, and its rows must be equal as a multiset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from synth_city import connect, small_city

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.contract.schema import load_contract
from taxloop.features import build_features, build_pruned
from taxloop.features.plan import plan_features
from taxloop.risk.library import load_library
from taxloop.rules.compile import compile_rule

pytestmark = pytest.mark.slow


def _multiset(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(repr(sorted(r.items())) for r in rows)


def test_pruned_build_same_rows_for_every_rule(tmp_path: Path) -> None:
    con = connect(small_city())
    wh = Warehouse(tmp_path / "wh").ensure()
    for name in load_contract().tables:
        folder = wh.table_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY {name} TO '{folder / 'part-0.parquet'}' (FORMAT parquet)")
    full = DuckDBBackend(wh, threads=1)
    build_features(full)
    specs = [s for s in load_library() if s.category != "network"]
    expected = {s.code: full.query(compile_rule(s)).to_pylist() for s in specs}
    full.close()
    assert sum(bool(rows) for rows in expected.values()) >= 30  # most rules fire on the synthetic city
    dropped = 0
    for spec in specs:
        backend = DuckDBBackend(wh, threads=1)
        try:
            build_pruned(backend, [spec])
            rows = backend.query(compile_rule(spec)).to_pylist()
        finally:
            backend.close()
        assert _multiset(rows) == _multiset(expected[spec.code]), spec.code
        dropped += plan_features([spec], set(wh.names("tables"))).sources_dropped.get("features_period", False)
    assert dropped >= 10
