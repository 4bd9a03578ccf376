"""A crafted twelve-taxpayer city whose expected hits are known by construction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from taxloop.analytics.warehouse import Warehouse

RULES = Path(__file__).parent / "rules"
PERIODS = ["2024-01", "2024-02", "2024-03"]
# tin: (region, industry, monthly sales); overrides of TLOWSALES: C -> 500, then R2 -> 50 (default 100)
TAXPAYERS = {
    "T01": ("R1", "C3911", 300.0),  # below the C floor 500 -> TLOWSALES x3
    "T02": ("R1", "F5191", 300.0),  # above the default floor 100 -> nothing
    "T03": ("R2", "F5191", 80.0),  # R2 floor 50 -> nothing (default floor would fire)
    "T04": ("R2", "C3911", 80.0),  # both overrides, R2 comes last -> 50 -> nothing
    "T05": ("R1", "F5191", 1000.0),  # zero in 2024-02 -> TZERO + TLOWSALES (same correlation group)
    "T06": ("R1", "F5191", 1000.0),  # invoices 5000 in 2024-01 -> TINVGAP
    "T07": ("R1", "C3911", 1000.0),
    "T08": ("R2", "C3911", 1000.0),
    "T09": ("R2", "F5191", 1000.0),
    "T10": ("R1", "F5191", 1000.0),
    "T11": ("R2", "F5191", 1000.0),  # T11 and T12 are one taxpayer E11 (entity_map)
    "T12": ("R2", "F5191", 1000.0),  # zero in 2024-03 -> TZERO on E11
}
ZERO = {("T05", "2024-02"), ("T12", "2024-03")}


def _write(wh: Warehouse, name: str, table: pa.Table, area: str = "tables") -> None:
    folder = wh.table_dir(name, area)
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / "part-0.parquet")


def build_city(root: Path, with_entity_map: bool = True) -> Warehouse:
    """Write the city's contract tables (and an entity_map) into a new warehouse folder."""
    wh = Warehouse(root).ensure()
    tins = list(TAXPAYERS)
    _write(
        wh,
        "taxpayers",
        pa.table(
            {
                "registration_id": [f"REG{t}" for t in tins],
                "tin": tins,
                "name": [f"公司{t}" for t in tins],
                "kind": ["enterprise"] * len(tins),
                "industry_code": [TAXPAYERS[t][1] for t in tins],
                "region_code": [TAXPAYERS[t][0] for t in tins],
                "registered_on": [dt.date(2020, 1, 1)] * len(tins),
                "status": ["normal"] * len(tins),
            }
        ),
    )
    rows = [(t, p, 0.0 if (t, p) in ZERO else TAXPAYERS[t][2]) for t in tins for p in PERIODS]
    _write(
        wh,
        "vat_returns",
        pa.table(
            {
                "tin": [r[0] for r in rows],
                "period": [r[1] for r in rows],
                "sales": [r[2] for r in rows],
                "output_tax": [r[2] * 0.13 for r in rows],
                "input_tax": [0.0] * len(rows),
                "tax_payable": [r[2] * 0.13 for r in rows],
            }
        ),
    )
    _write(
        wh,
        "invoices",
        pa.table(
            {
                "invoice_id": ["I1", "I2", "I3", "I4"],
                "seller_tin": ["T06", "T06", "T07", "T06"],
                "buyer_tin": ["T07", "T08", "T08", "T09"],
                "issued_on": [dt.date(2024, 1, 5), dt.date(2024, 1, 9), dt.date(2024, 1, 9), dt.date(2024, 2, 1)],
                "amount": [3000.0, 2000.0, 900.0, 7000.0],
                "tax_amount": [390.0, 260.0, 117.0, 910.0],
                "status": ["valid", "valid", "valid", "void"],
            }
        ),
    )
    if with_entity_map:
        _write(
            wh,
            "entity_map",
            pa.table(
                {
                    "registration_id": [f"REG{t}" for t in tins],
                    "tin": tins,
                    "entity_id": ["E11" if t in ("T11", "T12") else t for t in tins],
                }
            ),
            area="derived",
        )
    return wh


def expected_hits() -> set[tuple[str, str, str]]:
    """(code, tin, period) of every hit the test rules must produce on this city."""
    hits = {("TLOWSALES", "T01", p) for p in PERIODS}
    hits |= {("TLOWSALES", "T05", "2024-02"), ("TZERO", "T05", "2024-02"), ("TZERO", "T12", "2024-03")}
    hits.add(("TLOWSALES", "T12", "2024-03"))  # R2 floor 50 > 0
    hits.add(("TINVGAP", "T06", "2024-01"))
    return hits
