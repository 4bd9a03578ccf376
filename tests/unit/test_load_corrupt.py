"""Corrupted rows go to the quarantine with rule, reason and source line; every row is accounted for."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from load_fixtures import TAXPAYERS_HEADER, TAXPAYERS_ROWS, VAT_HEADER, invoices_table, write_csv
from taxloop.analytics.warehouse import Warehouse
from taxloop.load import load_dataset

VAT = [
    "T1,2024-01,2024-02-15,100.00,,13.00,9.00,4.00,web",  # 1 ok
    "T1,2024-02,2024-02-30,100.00,,13.00,9.00,4.00,web",  # 2 bad_date
    "T1,2024-03,2024-04-15,-5.00,,13.00,9.00,4.00,web",  # 3 negative_amount
    "T1,2024-04,2024-05-15,1.005,,13.00,9.00,4.00,web",  # 4 too_many_decimals
    "T1,2024-13,2024-05-15,1,,13.00,9.00,4.00,web",  # 5 bad_period
    "T1,2024-01,2024-02-16,200.00,,26.00,9.00,17.00,web",  # 6 duplicate_key of line 1
    "T1,2024-05,2024-06-15,100.00,13.00,9.00,4.00",  # 7 malformed: 7 fields, header has 9
    "T2,2024-01,2024-02-15,1,,1,1,0,web,EXTRA",  # 8 malformed: too many fields
    "T2,2024-02,2024-03-15,7,,1,1,0,web",  # 9 ok
    '"T3,2024-01,2024-02-15,1,,1,1,0,web',  # 10 malformed: unterminated quote (swallows line 11)
    "T2,2024-03,2024-04-",  # 11 truncated last line
]


def _quarantine(wh: Warehouse, table: str) -> list[tuple[int, str, str]]:
    glob = wh.table_dir(table, "quarantine") / "*.parquet"
    return [
        (int(r[0]), str(r[1]), str(r[2]))
        for r in duckdb.sql(f"SELECT _src_line, _rule, _reason FROM read_parquet('{glob}') ORDER BY 1").fetchall()
    ]


def _data(root: Path) -> Path:
    write_csv(root / "taxpayers.csv", TAXPAYERS_HEADER, TAXPAYERS_ROWS)
    write_csv(root / "vat_returns.csv", VAT_HEADER, VAT[:-1])
    # truncated: no newline after the last, cut line
    path = root / "vat_returns.csv"
    path.write_bytes(path.read_bytes() + VAT[-1].encode())
    return root


def test_rows_land_in_table_or_quarantine_with_rule_and_line(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    report = load_dataset(_data(tmp_path / "d"), wh)
    vat = report.table("vat_returns")
    assert vat.rows_read == 11 and vat.rows_loaded == 2 and vat.rows_quarantined == 9
    assert vat.by_rule == {
        "bad_date": 1,
        "bad_period": 1,
        "duplicate_key": 1,
        "malformed_row": 4,
        "negative_amount": 1,
        "too_many_decimals": 1,
    }
    q = _quarantine(wh, "vat_returns")
    assert [(line, rule) for line, rule, _ in q] == [
        (2, "bad_date"),
        (3, "negative_amount"),
        (4, "too_many_decimals"),
        (5, "bad_period"),
        (6, "duplicate_key"),
        (7, "malformed_row"),
        (8, "malformed_row"),
        (10, "malformed_row"),
        (11, "malformed_row"),
    ]
    reasons = {line: reason for line, _, reason in q}
    assert "filed_on" in reasons[2] and "2024-02-30" in reasons[2]
    assert "sales" in reasons[3] and "-5.00" in reasons[3]
    assert "vat_returns.csv:1" in reasons[6]
    assert "unterminated quote of line 10" in reasons[11]
    loaded = duckdb.sql(f"SELECT _src_line FROM read_parquet('{wh.table_dir('vat_returns')}/*.parquet') ORDER BY 1")
    assert [r[0] for r in loaded.fetchall()] == [1, 9]  # good rows keep their line numbers around the bad ones
    raw = duckdb.sql(
        f"SELECT _raw_line FROM read_parquet('{wh.table_dir('vat_returns', 'quarantine')}/*.parquet')"
        " WHERE _src_line = 8"
    ).fetchall()
    assert "EXTRA" in raw[0][0]


def test_enums_and_duplicates_across_parquet_parts(tmp_path: Path) -> None:
    data = tmp_path / "d"
    write_csv(data / "taxpayers.csv", TAXPAYERS_HEADER, TAXPAYERS_ROWS)
    (data / "invoices").mkdir()
    first = invoices_table(0, 5)
    second = invoices_table(3, 4)  # INV000003, INV000004 repeat part-0
    kinds = second.column("kind").to_pylist()
    kinds[3] = "SPECIAL"  # unknown enum (case matters)
    second = second.set_column(second.schema.get_field_index("kind"), "kind", [kinds])
    pq.write_table(first, data / "invoices" / "part-0.parquet")
    pq.write_table(second, data / "invoices" / "part-1.parquet")
    wh = Warehouse(tmp_path / "wh")
    inv = load_dataset(data, wh).table("invoices")
    assert inv.rows_read == 9 and inv.rows_loaded == 6
    assert inv.by_rule == {"duplicate_key": 2, "unknown_enum": 1}
    q = _quarantine(wh, "invoices")
    assert [(line, rule) for line, rule, _ in q] == [(1, "duplicate_key"), (2, "duplicate_key"), (4, "unknown_enum")]
    assert "SPECIAL" in q[2][2]


def test_keyless_table_quarantines_repeated_rows(tmp_path: Path) -> None:
    data = tmp_path / "d"
    write_csv(data / "taxpayers.csv", TAXPAYERS_HEADER, TAXPAYERS_ROWS)
    rows = ["T1,phone,1,2,2024-01-01", "T1,phone,1,2,2024-01-01", "T1,phone,2,3,2024-02-01", "T1,colour,a,b,2024-02-01"]
    write_csv(data / "taxpayer_changes.csv", "tin,field,old_value,new_value,changed_on", rows)
    report = load_dataset(data, Warehouse(tmp_path / "wh"))
    assert report.table("taxpayer_changes").by_rule == {"duplicate_row": 1, "unknown_enum": 1}
    assert report.table("taxpayer_changes").rows_loaded == 2


def test_truncated_last_line_is_quarantined(tmp_path: Path) -> None:
    data = tmp_path / "d"
    write_csv(data / "taxpayers.csv", TAXPAYERS_HEADER, TAXPAYERS_ROWS)
    cut = (data / "taxpayers.csv").read_bytes().rstrip(b"\n")[:-25]  # cut inside the last row, no final newline
    (data / "taxpayers.csv").write_bytes(cut)
    wh = Warehouse(tmp_path / "wh")
    tp = load_dataset(data, wh).table("taxpayers")
    assert (tp.rows_read, tp.rows_loaded, tp.by_rule) == (4, 3, {"malformed_row": 1})
    assert _quarantine(wh, "taxpayers")[0][:2] == (4, "malformed_row")
