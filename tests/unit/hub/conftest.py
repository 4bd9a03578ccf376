"""A tiny warehouse with taxpayers, third-party tables and quarantined rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse


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
