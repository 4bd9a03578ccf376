"""Every integrity rule gives the same hits on DuckDB and Spark, on its own planted scenario and near miss.

Integrity rules are DuckDB-dialect data files like the taxpayer indicators; on Spark they go through
``analytics.spark_sql.to_spark_sql``. The scenarios of the unit tests (one violation and one near miss per rule,
tests/unit/integrity_scenarios*.py) are written to a Parquet warehouse and scanned by both engines: same status,
same hit rows (officer, case, value, threshold, evidence, weight, category).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.integrity.scan import load_integrity_rules, run_integrity_rules

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))

import integrity_scenarios_more  # noqa: F401  (registers the remaining scenarios)
from integrity_scenarios import SCENARIOS
from integrity_world import baseline

pytestmark = [pytest.mark.spark, pytest.mark.slow]
SPECS = {s.code: s for s in load_integrity_rules()}


def _warehouse(root: Path, code: str, fire: bool) -> Warehouse:
    world = baseline()
    SCENARIOS[code](world, fire)
    wh = Warehouse(root).ensure()
    for name, table in world.tables().items():
        folder = wh.table_dir(name)
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-0.parquet")
    return wh


def _scan(backend: Any, code: str) -> tuple[str, Counter[tuple[object, ...]]]:
    hits, runs = run_integrity_rules(backend, [SPECS[code]], scan_id="S1")
    return runs[0].status, Counter(tuple(r.values()) for r in hits.drop(["scan_id"]).to_pylist())


def test_every_rule_has_a_scenario() -> None:
    assert sorted(SPECS) == sorted(SCENARIOS)


@pytest.mark.parametrize("code", sorted(SCENARIOS))
def test_rule_parity(code: str, tmp_path: Path, spark_session) -> None:  # type: ignore[no-untyped-def]
    """The violation fires on both engines with identical rows; the near miss is quiet on both."""
    from taxloop.analytics.spark_backend import SparkBackend

    for fire in (True, False):
        wh = _warehouse(tmp_path / str(fire), code, fire)
        duck_status, duck = _scan(DuckDBBackend(wh, threads=1), code)
        spark_status, spark = _scan(SparkBackend(wh, session=spark_session), code)
        assert (duck_status, spark_status) == ("ok", "ok"), (fire, duck_status, spark_status)
        assert bool(duck) == fire, (fire, duck)
        assert spark == duck, (fire, spark, duck)
