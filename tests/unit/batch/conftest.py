"""A small warehouse where each batch matter has one taxpayer it must select and one it must not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse

d = dt.date
AS_OF = d(2026, 4, 12)  # VAT for 2026-03 due 2026-04-15; CIT season; Q2


@pytest.fixture()
def batch_wh(tmp_path: Path) -> DuckDBBackend:
    be = DuckDBBackend(Warehouse(tmp_path / "wh").ensure())
    tins = ["LATE", "FILED", "ABN", "NEWCO"]
    be.write_arrow(
        "taxpayers",
        pa.table(
            {
                "registration_id": ["R1", "R2", "R3", "R4"],
                "tin": tins,
                "name": ["迟报公司", "按时公司", "失联公司", "新设公司"],
                "kind": ["enterprise"] * 4,
                "legal_rep_name": ["张三", "李四", "王五", "赵六"],
                "address": ["深圳市福田区1号", "深圳市南山区2号", "深圳市宝安区3号", "深圳市龙岗区4号"],
                "status": ["normal", "normal", "abnormal", "normal"],
                "registered_on": [d(2020, 1, 1), d(2020, 1, 1), d(2020, 1, 1), d(2026, 3, 20)],
            }
        ),
    )
    be.write_arrow(
        "vat_returns",
        pa.table(
            {
                "tin": ["FILED", "LATE"],
                "period": ["2026-03", "2026-02"],
                "filed_on": [d(2026, 4, 8), d(2026, 3, 10)],
                "sales": [1e5, 1e5],
                "exempt_sales": [0.0, 0.0],
                "output_tax": [1.3e4, 1.3e4],
                "input_tax": [1e4, 1e4],
                "tax_payable": [3e3, 3e3],
            }
        ),
    )
    be.write_arrow("cit_returns", pa.table({"tin": ["FILED"], "year": [2025]}))
    be.write_arrow(
        "payments",
        pa.table(
            {
                "tin": ["LATE", "FILED", "LATE", "FILED"],
                "tax_type": ["vat", "vat", "cit", "cit"],
                "period": ["2025-10", "2026-03", "2026-03", "2025-12"],
                "due_on": [d(2025, 11, 15), d(2026, 4, 15), d(2026, 4, 15), d(2026, 1, 15)],
                "amount_due": [80000.0, 3000.0, 500.0, 1000.0],
                "amount_paid": [0.0, 3000.0, 0.0, 1000.0],
                "paid_on": pa.array([None, d(2026, 4, 1), None, d(2026, 1, 10)], pa.date32()),
            }
        ),
    )
    be.write_arrow(
        "social_insurance",
        pa.table(
            {
                "tin": ["LATE", "FILED"],
                "period": ["2026-03", "2026-03"],
                "insured_employees": [8, 4],
                "contribution_base": [8e4, 4e4],
                "provider": ["HRSS"] * 2,
                "delivered_on": [d(2026, 4, 5)] * 2,
            }
        ),
    )
    be.write_arrow(
        "iit_withholding",
        pa.table(
            {
                "tin": ["FILED"],
                "period": ["2026-03"],
                "employees": [4],
                "payroll": [4e4],
                "tax_withheld": [500.0],
            }
        ),
    )
    be.write_arrow(
        "risk_scores",
        pa.table(
            {
                "scan_id": ["S1", "S1", "S1"],
                "rank": [1, 2, 3],
                "entity_id": ["E1", "E2", "E3"],
                "tins": ["LATE", "FILED", "NEWCO"],
                "score": [9.0, 1.0, 0.0],
                "level": ["high", "low", "low"],
                "indicators": ["VAT001;INV002", "VAT010", ""],
                "selection": ["indicator", "indicator", "random"],
            }
        ),
    )
    return be
