"""A crafted little trading world for the entity, network and profile tests (helpers, not tests).

Gang: source S1 invoices P1 and P2, which re-invoice within days in other goods codes to R1..R4;
S1, P1 and P2 share a legal representative, P2 and S1 a phone. Cycle: C1 -> C2 -> C3 -> C1 with
about the same amount a few days apart. Normal firms N1..N8 trade steadily with staff and power;
N5 splits a sale into 4 invoices to N6 on one day.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse

D = dt.date


def _write(wh: Warehouse, name: str, rows: list[dict[str, object]]) -> None:
    folder = wh.table_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "part-0.parquet")


def _firm(
    tin: str, rep: str, phone: str, registered: dt.date = D(2015, 1, 1), status: str = "normal"
) -> dict[str, object]:
    return {
        "registration_id": "R" + tin,
        "tin": tin,
        "name": f"深圳市{tin}贸易有限公司",
        "kind": "enterprise",
        "legal_rep_id": rep,
        "legal_rep_name": "张" + rep,
        "finance_officer_id": None,
        "address": f"深圳市南山区{tin}路1号",
        "phone": phone,
        "industry_code": "F5191",
        "region_code": "14403050000",
        "vat_status": "general",
        "registered_capital": 1000000.0,
        "registered_on": registered,
        "deregistered_on": None,
        "status": status,
    }


def invoices() -> list[dict[str, object]]:
    """Every invoice of the world."""
    rows: list[tuple[str, str, dt.date, float, str]] = []
    for p in ("P1", "P2"):
        rows.append(("S1", p, D(2025, 3, 1), 500_000.0, "1010101"))
    for i, r in enumerate(("R1", "R2", "R3", "R4")):
        p = "P1" if i < 2 else "P2"
        rows.append((p, r, D(2025, 3, 4), 240_000.0, "3040502"))
        rows.append(("N1", r, D(2025, 2, 1), 40_000.0, "1090101"))
    rows += [
        ("C1", "C2", D(2025, 5, 1), 300_000.0, "1070101"),
        ("C2", "C3", D(2025, 5, 5), 295_000.0, "1070101"),
        ("C3", "C1", D(2025, 5, 9), 290_000.0, "1070101"),
    ]
    normals = [f"N{i}" for i in range(1, 9)]
    for month in range(1, 13):
        for i, s in enumerate(normals):
            b = normals[(i + 1) % len(normals)]
            rows.append((s, b, D(2025, month, 10 + i), 150_000.0 + 1000 * i, f"10{i}0101"))
    rows += [("N5", "N6", D(2025, 7, 20), 9_900.0, "1050101")] * 4
    rows.append(("N2", None, D(2025, 6, 1), 5_000.0, "1020101"))  # type: ignore[list-item]
    return [
        {
            "invoice_id": f"I{k:05d}",
            "seller_tin": s,
            "buyer_tin": b,
            "issued_on": d,
            "amount": a,
            "tax_amount": round(a * 0.13, 2),
            "tax_rate": 0.13,
            "goods_code": g,
            "kind": "special",
            "status": "valid",
        }
        for k, (s, b, d, a, g) in enumerate(rows)
    ]


def build_world(root: Path) -> DuckDBBackend:
    """Write the world's contract tables into a warehouse at ``root``; returns a DuckDB backend on it."""
    wh = Warehouse(root).ensure()
    firms = [
        _firm("S1", "L1", "13800000001", registered=D(2025, 1, 1)),
        _firm("P1", "L1", "13800000002"),
        _firm("P2", "L1", "13800000001"),
    ]
    firms += [_firm(f"R{i}", f"LR{i}", f"1390000000{i}") for i in range(1, 5)]
    firms += [_firm(f"C{i}", f"LC{i}", f"1370000000{i}") for i in range(1, 4)]
    firms += [_firm(f"N{i}", f"LN{i}", f"1360000000{i}") for i in range(1, 9)]
    _write(wh, "taxpayers", firms)
    _write(wh, "invoices", invoices())
    staffed = [f"R{i}" for i in range(1, 5)] + [f"C{i}" for i in range(1, 4)] + [f"N{i}" for i in range(1, 9)]
    _write(
        wh,
        "social_insurance",
        [
            {
                "tin": t,
                "period": "2025-03",
                "insured_employees": 25,
                "contribution_base": 200000.0,
                "provider": "HRSS",
                "delivered_on": D(2025, 4, 10),
            }
            for t in staffed
        ],
    )
    _write(
        wh,
        "utilities",
        [
            {
                "tin": t,
                "period": "2025-03",
                "kwh": 40000.0,
                "water_m3": 100.0,
                "provider": "POWER",
                "delivered_on": D(2025, 4, 10),
            }
            for t in staffed
        ]
        + [
            {
                "tin": "S1",
                "period": "2025-03",
                "kwh": 120.0,
                "water_m3": 1.0,
                "provider": "POWER",
                "delivered_on": D(2025, 4, 10),
            }
        ],
    )
    _write(
        wh,
        "audit_outcomes",
        [
            {
                "case_id": "CASE1",
                "tin": "S1",
                "opened_on": D(2024, 5, 1),
                "closed_on": D(2024, 8, 1),
                "selection": "tip_off",
                "finding": "fraud",
                "tax_recovered": 120000.0,
                "scheme": "fake_invoicing",
            }
        ],
    )
    _write(
        wh,
        "taxpayer_changes",
        [{"tin": "S1", "field": "legal_rep_id", "old_value": "L0", "new_value": "L1", "changed_on": D(2025, 2, 1)}],
    )
    return DuckDBBackend(wh)
