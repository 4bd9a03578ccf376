"""Small crafted contract data sets for the loader tests (a few rows per table, every format)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TAXPAYERS_HEADER = (
    "registration_id,tin,name,kind,legal_rep_id,legal_rep_name,finance_officer_id,address,phone,"
    "industry_code,region_code,vat_status,registered_capital,registered_on,deregistered_on,status"
)
TAXPAYERS_ROWS = [
    'R001,00912345678901234X,深圳甲有限公司,enterprise,110101199001011234,张三,,"深圳市南山区, 1号",0755-1,'
    "C3911,440305,general,1000000.00,2015-03-01,,normal",
    "R002,00912345678901235X,乙商行,individual_business,,,,,,F5191,440303,small_scale,,2018-07-15,,normal",
    "R003,91440300MA5XXXXX1,丙科技有限公司,enterprise,,,,,,I6510,440305,general,500000,2020-01-02,2023-05-01,deregistered",
    "R004,91440300MA5XXXXX2,丁贸易,enterprise,,,,,,F5191,440306,,12.5,2021-11-30,,abnormal",
]
VAT_HEADER = "tin,period,filed_on,sales,exempt_sales,output_tax,input_tax,tax_payable,channel"
VAT_ROWS = [
    "00912345678901234X,2024-01,2024-02-15,100000.00,,13000.00,9000.00,4000.00,web",
    "00912345678901234X,2024-02,2024-03-15,120000.5,0,15600.07,9000,6600.07,web",
    "91440300MA5XXXXX1,2024-01,2024-02-14,0,,0,0,0,hall",
]


def write_csv(path: Path, header: str, rows: list[str], encoding: str = "utf-8") -> Path:
    """Write a CSV file from a header line and raw data lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def invoices_table(first: int, n: int) -> pa.Table:
    """``n`` valid invoices with ids from ``first`` (typed like a bureau would deliver them)."""
    from datetime import date
    from decimal import Decimal

    ids = [f"INV{first + i:06d}" for i in range(n)]
    return pa.table(
        {
            "invoice_id": ids,
            "seller_tin": ["00912345678901234X"] * n,
            "buyer_tin": [None if i % 3 == 0 else "91440300MA5XXXXX1" for i in range(n)],
            "issued_on": [date(2024, 1, 1 + i % 28) for i in range(n)],
            "amount": pa.array([Decimal("1000.00") + i for i in range(n)], pa.decimal128(18, 2)),
            "tax_amount": [130.0 + i * 0.01 for i in range(n)],
            "tax_rate": pa.array([Decimal("0.13")] * n, pa.decimal128(5, 2)),
            "goods_code": ["1090101"] * n,
            "kind": ["special" if i % 2 else "ordinary" for i in range(n)],
            "status": ["valid"] * n,
        }
    )


def operation_log_table() -> pa.Table:
    """Three operations, one with a timestamp column typed as TIMESTAMP."""
    from datetime import datetime

    return pa.table(
        {
            "op_id": ["OP1", "OP2", "OP3"],
            "ts": [datetime(2024, 3, 1, 9, 30), datetime(2024, 3, 1, 10, 0), datetime(2024, 3, 2, 23, 59, 59)],
            "officer_id": ["O1", "O2", "O1"],
            "system": ["management", "management", "inspection"],
            "matter_code": ["VAT_REFUND"] * 3,
            "case_id": ["C1", "C1", None],
            "tin": ["00912345678901234X", "00912345678901234X", None],
            "action": ["submit", "approve", "query"],
            "amount": [250000.0, 250000.0, None],
            "required_level": pa.array([None, 3, None], pa.int64()),
            "note": [None, "ok", None],
        }
    )


def small_dataset(root: Path) -> Path:
    """A valid data set: CSV tables, a partitioned Parquet table, a Parquet table, a third-party table."""
    write_csv(root / "taxpayers.csv", TAXPAYERS_HEADER, TAXPAYERS_ROWS)
    write_csv(root / "vat_returns.csv", VAT_HEADER, VAT_ROWS)
    (root / "invoices").mkdir(parents=True, exist_ok=True)
    pq.write_table(invoices_table(0, 5), root / "invoices" / "part-0.parquet")
    pq.write_table(invoices_table(5, 4), root / "invoices" / "part-1.parquet")
    pq.write_table(operation_log_table(), root / "operation_log.parquet")
    write_csv(
        root / "land_parcels.csv",
        "parcel_id,holder_id,area_m2,grade,held_from,held_to,provider,delivered_on",
        [
            "P1,00912345678901234X,1200.50,3,2019-01-01,,NRD,2024-04-01",
            "P2,91440300MA5XXXXX1,80,5,2020-06-01,2023-05-01,NRD,2024-04-01",
        ],
    )
    return root
