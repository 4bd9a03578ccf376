"""A tiny warehouse with taxpayers, third-party tables and quarantined rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse

d = dt.date


def _put(wh: Warehouse, area: str, name: str, table: pa.Table) -> None:
    folder = wh.table_dir(name, area)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-0.parquet")


@pytest.fixture()
def hub_wh(tmp_path: Path) -> DuckDBBackend:
    wh = Warehouse(tmp_path / "wh").ensure()
    d = dt.date
    _put(
        wh,
        "tables",
        "taxpayers",
        pa.table(
            {
                "registration_id": ["R1", "R2", "R3", "R4"],
                "tin": ["T1", "T2", "T3", "T4"],
                "name": ["甲公司", "乙公司", "丙公司", "丁个体"],
                "kind": ["enterprise", "enterprise", "enterprise", "individual_business"],
                "legal_rep_id": ["440301199001011234", "440301198502022345", None, None],
                "phone": ["13800000001", "13800000002", None, None],
                "status": ["normal", "normal", "deregistered", "normal"],
                "region_code": ["440301", "440301", "440302", "440302"],
            }
        ),
    )
    _put(
        wh,
        "tables",
        "social_insurance",
        pa.table(
            {
                "tin": ["T1", "T2", "T1", "X9"],
                "period": ["2026-01", "2026-01", "2026-02", "2026-02"],
                "insured_employees": [5, 3, 5, 1],
                "contribution_base": [50000.0, 30000.0, 50000.0, 8000.0],
                "provider": ["HRSS"] * 4,
                "delivered_on": [d(2026, 2, 10), d(2026, 2, 20), d(2026, 3, 14), d(2026, 3, 14)],
            }
        ),
    )
    _put(
        wh,
        "quarantine",
        "social_insurance",
        pa.table(
            {
                "tin": ["T2", "T2"],
                "period": ["2026-02", "2026-02"],
                "insured_employees": ["3", "-1"],
                "contribution_base": ["30000", "1"],
                "provider": ["HRSS", "HRSS"],
                "delivered_on": ["2026-03-14", "2026-03-14"],
                "_rule": ["duplicate_key", "negative_amount"],
                "_reason": ["duplicate (tin, period)", "insured_employees=-1 below 0"],
            }
        ),
    )
    _put(
        wh,
        "tables",
        "property_transfers",
        pa.table(
            {
                "property_id": ["P1"],
                "seller_id": ["440301197001011111"],
                "buyer_id": ["T1"],
                "contract_on": [d(2026, 1, 5)],
                "price": [1000000.0],
                "area_m2": [100.0],
                "region_code": ["440301"],
                "provider": ["REG"],
                "delivered_on": [d(2026, 2, 1)],
            }
        ),
    )
    return DuckDBBackend(wh)


@pytest.fixture()
def xc(tmp_path: Path) -> DuckDBBackend:
    be = DuckDBBackend(Warehouse(tmp_path / "wh").ensure())
    be.write_arrow(
        "taxpayers",
        pa.table({"tin": ["BAD", "GOOD"], "kind": ["enterprise", "enterprise"], "region_code": ["R1", "R1"]}),
    )
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
