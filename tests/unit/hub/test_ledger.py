"""Ledger figures equal rows counted by hand in the fixture."""

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.hub.ledger import build_ledger
from taxloop.hub.registry import load_registry


def _row(rows: list[dict[str, object]], provider: str, period: str) -> dict[str, object]:
    return next(r for r in rows if r["provider"] == provider and r["period"] == period)


def test_ledger_counts_delivered_rejected_late_and_coverage(hub_wh: DuckDBBackend) -> None:
    rows = build_ledger(hub_wh, load_registry()).to_pylist()
    jan = _row(rows, "HRSS", "2026-01")
    # January: T1 on time (due 2026-02-15), T2 delivered 2026-02-20, 5 days late.
    assert (jan["rows_delivered"], jan["rows_loaded"], jan["rows_rejected"]) == (2, 2, 0)
    assert jan["rows_late"] == 1 and jan["avg_delay_days"] == 2.5
    # Expected population: enterprises not deregistered = T1, T2; both covered.
    assert jan["expected"] == 2 and jan["coverage"] == 1.0
    feb = _row(rows, "HRSS", "2026-02")
    assert (feb["rows_delivered"], feb["rows_loaded"], feb["rows_rejected"], feb["duplicates"]) == (4, 2, 2, 1)
    # Loaded February rows: T1 (known) and X9 (unknown); quarantined T2 rows are known too -> 3 of 4 known.
    assert feb["known_taxpayer_share"] == 0.75
    assert feb["covered"] == 1 and feb["coverage"] == 0.5
    reg = _row(rows, "REG", "2026-01")
    assert reg["rows_delivered"] == 1 and reg["coverage"] is None and reg["rows_late"] == 0
    assert hub_wh.has_table("provider_ledger")
