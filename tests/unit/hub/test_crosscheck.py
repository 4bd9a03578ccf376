"""Each cross-check fires on a crafted doubt and not on a clean twin; verifications come back per provider."""

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.hub.crosscheck import doubt_summary, packaged_crosschecks, record_verifications, run_crosschecks
from taxloop.hub.registry import load_registry

d = dt.date


@pytest.fixture()
def xc(tmp_path: Path) -> DuckDBBackend:
    be = DuckDBBackend(Warehouse(tmp_path / "wh").ensure())
    be.write_arrow("taxpayers", pa.table({"tin": ["BAD", "GOOD"], "kind": ["enterprise", "enterprise"]}))
    be.write_arrow(
        "other_returns",
        pa.table(
            {
                "tin": ["GOOD", "GOOD", "BAD"],
                "tax_type": ["deed", "land_use", "stamp"],
                "period_start": [d(2025, 3, 1), d(2025, 1, 1), d(2025, 1, 1)],
                "period_end": [d(2025, 3, 31), d(2025, 12, 31), d(2025, 12, 31)],
                "filed_on": [d(2025, 3, 20), d(2025, 12, 20), d(2025, 12, 31)],
                "base": [1e6, 500.0, 1.0],
                "tax_payable": [3e4, 3000.0, 1.0],
            }
        ),
    )
    be.write_arrow(
        "property_transfers",
        pa.table(
            {
                "property_id": ["P1", "P2"],
                "seller_id": ["S", "S"],
                "buyer_id": ["BAD", "GOOD"],
                "contract_on": [d(2025, 3, 1), d(2025, 3, 1)],
                "price": [2e6, 1e6],
                "area_m2": [100.0, 80.0],
                "region_code": ["R", "R"],
                "provider": ["REG", "REG"],
                "delivered_on": [d(2025, 4, 1)] * 2,
            }
        ),
    )
    be.write_arrow(
        "land_parcels",
        pa.table(
            {
                "parcel_id": ["L1", "L2"],
                "holder_id": ["BAD", "GOOD"],
                "area_m2": [800.0, 500.0],
                "grade": [2, 2],
                "held_from": [d(2020, 1, 1)] * 2,
                "held_to": pa.array([None, None], pa.date32()),
                "provider": ["NRD"] * 2,
                "delivered_on": [d(2025, 1, 5)] * 2,
            }
        ),
    )
    be.write_arrow(
        "social_insurance",
        pa.table(
            {
                "tin": ["BAD", "GOOD"],
                "period": ["2025-05", "2025-05"],
                "insured_employees": [20, 10],
                "contribution_base": [2e5, 1e5],
                "provider": ["HRSS"] * 2,
                "delivered_on": [d(2025, 6, 10)] * 2,
            }
        ),
    )
    be.write_arrow(
        "iit_withholding",
        pa.table(
            {
                "tin": ["BAD", "GOOD"],
                "period": ["2025-05", "2025-05"],
                "employees": [5, 10],
                "payroll": [5e4, 1e5],
                "tax_withheld": [100.0, 900.0],
            }
        ),
    )
    be.write_arrow(
        "customs_declarations",
        pa.table(
            {
                "declaration_id": ["C1", "C2"],
                "tin": ["BAD", "GOOD"],
                "declared_on": [d(2025, 7, 1)] * 2,
                "direction": ["export", "export"],
                "value": [9e5, 5e5],
                "hs_code": ["8471", "8471"],
                "provider": ["CUSTOMS"] * 2,
                "delivered_on": [d(2025, 8, 1)] * 2,
            }
        ),
    )
    be.write_arrow(
        "vat_returns",
        pa.table(
            {
                "tin": ["BAD", "GOOD"],
                "period": ["2025-07", "2025-07"],
                "exempt_sales": [1e5, 5e5],
            }
        ),
    )
    be.write_arrow(
        "market_registrations",
        pa.table(
            {
                "credit_code": ["BAD", "NEWCO", "YOUNG"],
                "name": ["坏公司", "新公司", "刚成立"],
                "established_on": [d(2020, 1, 1), d(2025, 1, 1), d(2025, 6, 20)],
                "status": ["active", "active", "active"],
                "provider": ["SAMR"] * 3,
                "delivered_on": [d(2025, 7, 1)] * 3,
            }
        ),
    )
    return be


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
