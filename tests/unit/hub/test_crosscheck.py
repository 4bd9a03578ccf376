"""Each cross-check fires on a crafted doubt and not on a clean twin; verifications come back per provider."""

import datetime as dt
from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.hub.crosscheck import doubt_summary, packaged_crosschecks, record_verifications, run_crosschecks
from taxloop.hub.registry import load_registry

d = dt.date


def test_each_check_fires_on_the_bad_firm_only(xc: DuckDBBackend) -> None:
    doubts, skipped = run_crosschecks(xc, load_registry(), today="2025-12-31")
    assert skipped == []
    fired = sorted((r["check_code"], r["tin"]) for r in doubts.to_pylist())
    assert fired == [
        ("XC_CUSTOMS_EXPORT", "BAD"),
        ("XC_DEED_TAX", "BAD"),
        ("XC_LAND_USE", "BAD"),
        ("XC_MARKET_UNREG", "NEWCO"),
        ("XC_SOCIAL_IIT", "BAD"),
    ]
    assert {r["provider"] for r in doubts.to_pylist()} == {"CUSTOMS", "REG", "NRD", "SAMR", "HRSS"}
    assert len(packaged_crosschecks()) == 5


def test_verifications_come_back_per_provider(xc: DuckDBBackend) -> None:
    doubts, _ = run_crosschecks(xc, load_registry())
    ids = {r["check_code"]: r["doubt_id"] for r in doubts.to_pylist()}
    record_verifications(xc, [{"doubt_id": ids["XC_DEED_TAX"], "confirmed": True, "tax_recovered": 60000}])
    record_verifications(
        xc,
        [
            {"doubt_id": ids["XC_DEED_TAX"], "confirmed": False},  # corrected: latest result wins
            {"doubt_id": ids["XC_LAND_USE"], "confirmed": True, "tax_recovered": 4800},
        ],
    )
    summary = {r["check_code"]: r for r in doubt_summary(xc).to_pylist()}
    assert (summary["XC_DEED_TAX"]["verified"], summary["XC_DEED_TAX"]["confirmed"]) == (1, 0)
    assert summary["XC_LAND_USE"]["confirm_rate"] == 1.0 and summary["XC_LAND_USE"]["tax_recovered"] == 4800
    assert summary["XC_SOCIAL_IIT"]["verified"] == 0
    with pytest.raises(ValueError, match="unknown doubt"):
        record_verifications(xc, [{"doubt_id": "Dnope", "confirmed": True}])


def test_absent_tables_are_reported_as_skipped(tmp_path: Path) -> None:
    be = DuckDBBackend(Warehouse(tmp_path / "empty").ensure())
    doubts, skipped = run_crosschecks(be, load_registry())
    assert doubts.num_rows == 0 and len(skipped) == 5
