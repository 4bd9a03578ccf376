"""A wrong file gives a LoadError naming it, and the warehouse is left exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from load_fixtures import (
    TAXPAYERS_HEADER,
    TAXPAYERS_ROWS,
    VAT_HEADER,
    VAT_ROWS,
    invoices_table,
    small_dataset,
    write_csv,
)
from taxloop.analytics.warehouse import Warehouse
from taxloop.load import LoadError, load_dataset


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _unknown_table(d: Path) -> Path:
    return write_csv(d / "taxpayer.csv", TAXPAYERS_HEADER, TAXPAYERS_ROWS)


def _missing_column(d: Path) -> Path:
    return write_csv(d / "vat_returns.csv", VAT_HEADER.replace("filed_on,", ""), ["x,2024-01,1,1,1,1,1"])


def _gbk(d: Path) -> Path:
    return write_csv(d / "taxpayers.csv", TAXPAYERS_HEADER, TAXPAYERS_ROWS, encoding="gbk")


def _gbk_header(d: Path) -> Path:
    return write_csv(d / "vat_returns.csv", "纳税人," + VAT_HEADER, [], encoding="gbk")


def _empty(d: Path) -> Path:
    path = d / "vat_returns.csv"
    path.write_bytes(b"")
    return path


def _corrupt_parquet(d: Path) -> Path:
    path = d / "invoices" / "part-1.parquet"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _corrupt_pages(d: Path) -> Path:
    """Damage the data pages but keep a valid footer: found only when the rows are read."""
    path = d / "invoices" / "part-1.parquet"
    pq.write_table(invoices_table(5, 5000), path, compression="snappy")
    data = bytearray(path.read_bytes())
    data[200:3000] = bytes((b * 7 + 13) % 256 for b in data[200:3000])
    path.write_bytes(bytes(data))
    return path


def _garbage_parquet(d: Path) -> Path:
    path = d / "operation_log.parquet"
    path.write_bytes(b"PAR1" + b"\x00garbage" * 100 + b"PAR1")
    return path


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (_unknown_table, "unknown table 'taxpayer'"),
        (_missing_column, "missing required column 'filed_on'"),
        (_gbk, "not UTF-8"),
        (_gbk_header, "not UTF-8"),
        (_empty, "empty"),
        (_corrupt_parquet, "Parquet"),
        (_corrupt_pages, "cannot be read"),
        (_garbage_parquet, "Parquet"),
    ],
)
def test_bad_file_is_named_and_warehouse_unchanged(tmp_path: Path, spoil: Callable[[Path], Path], words: str) -> None:
    wh = Warehouse(tmp_path / "wh")
    first = load_dataset(small_dataset(tmp_path / "v1"), wh)
    assert first.rows_loaded > 0
    before = _snapshot(wh.root)
    data = small_dataset(tmp_path / "v2")
    write_csv(data / "vat_returns.csv", VAT_HEADER, [*VAT_ROWS, "NEW,2024-03,2024-04-15,1,,1,1,0,web"])
    bad = spoil(data)
    with pytest.raises(LoadError) as err:
        load_dataset(data, wh)
    assert str(bad) in str(err.value) and words in str(err.value)
    assert _snapshot(wh.root) == before  # all-or-nothing: nothing written, nothing left behind


def test_taxpayers_is_required_on_a_fresh_warehouse(tmp_path: Path) -> None:
    data = tmp_path / "d"
    write_csv(data / "vat_returns.csv", VAT_HEADER, VAT_ROWS)
    with pytest.raises(LoadError, match="taxpayers"):
        load_dataset(data, Warehouse(tmp_path / "wh"))


def test_table_given_twice_is_refused(tmp_path: Path) -> None:
    data = small_dataset(tmp_path / "d")
    write_csv(data / "vat_returns" / "part-0.csv", VAT_HEADER, VAT_ROWS)
    with pytest.raises(LoadError, match="twice"):
        load_dataset(data, Warehouse(tmp_path / "wh"))


def test_header_only_file_is_an_empty_delivery(tmp_path: Path) -> None:
    data = small_dataset(tmp_path / "d")
    write_csv(data / "vat_returns.csv", VAT_HEADER, [])
    report = load_dataset(data, Warehouse(tmp_path / "wh"))
    assert report.table("vat_returns").rows_read == 0 and report.table("vat_returns").status == "loaded"
