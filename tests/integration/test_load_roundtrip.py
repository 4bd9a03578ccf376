"""``taxloop synth`` then ``taxloop load``: every delivered row is in the warehouse or in the quarantine.

Runs on a small synthetic city, clean and then corrupted on purpose (bad dates, negative amounts, unknown
enums, duplicate keys, a truncated CSV, a wrong header). Rows are counted independently of the loader.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from taxloop.analytics.warehouse import Warehouse
from taxloop.cli.main import build_app
from taxloop.load import LoadError, load_dataset

pytest.importorskip("taxloop.synth.city", reason="the synthetic city (taxloop synth) is not merged yet")


def _synth(out: Path, fmt: str) -> Path:
    args = ["synth", str(out), "--taxpayers", "400", "--months", "12", "--seed", "11", "--format", fmt, "-q"]
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    return out


def _delivered_rows(path: Path) -> int:
    """Rows in a delivered table, counted with the csv module / Parquet metadata (not with the loader)."""
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    total = 0
    for f in files:
        if f.suffix == ".parquet":
            total += pq.ParquetFile(f).metadata.num_rows
        elif f.suffix == ".csv":
            with f.open(encoding="utf-8", newline="") as fh:
                total += sum(1 for _ in csv.reader(fh)) - 1
    return total


def _stored(wh: Warehouse, name: str, area: str) -> int:
    return int(
        duckdb.sql(f"SELECT count(*) FROM read_parquet('{wh.table_dir(name, area)}/*.parquet')").fetchall()[0][0]
    )


def _entries(data: Path) -> dict[str, Path]:
    return {p.name.split(".")[0]: p for p in data.iterdir() if p.name != "truth"}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_clean_city_round_trips(tmp_path: Path, fmt: str) -> None:
    data = _synth(tmp_path / "city", fmt)
    wh = Warehouse(tmp_path / "wh")
    report = load_dataset(data, wh)
    assert report.skipped == [] and report.ignored == ["truth"]
    for name, path in _entries(data).items():
        delivered = _delivered_rows(path)
        assert delivered > 0, name
        t = report.table(name)
        assert t.rows_read == delivered == t.rows_loaded + t.rows_quarantined, name
        assert _stored(wh, name, "tables") + _stored(wh, name, "quarantine") == delivered, name
    assert report.rows_quarantined == 0, {t.table: t.by_rule for t in report.tables if t.by_rule}


def _edit(path: Path, change: dict[int, dict[str, str]], append: list[int] | None = None) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    for i, values in change.items():
        rows[i].update(values)
    rows += [dict(rows[i]) for i in append or []]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_corrupted_city_quarantines_every_bad_row(tmp_path: Path) -> None:
    data = _synth(tmp_path / "city", "csv")
    _edit(data / "vat_returns.csv", {i: {"filed_on": "2024-02-30"} for i in (0, 5, 9)})
    _edit(data / "payments.csv", {i: {"amount_due": "-12.00"} for i in (1, 2)})
    _edit(data / "taxpayers.csv", {3: {"kind": "company"}, 4: {"status": "Normal"}})
    _edit(data / "officers.csv", {}, append=[0, 1])
    _edit(data / "utilities.csv", {7: {"kwh": "12.345"}})
    raw = (data / "social_insurance.csv").read_bytes()
    (data / "social_insurance.csv").write_bytes(raw[: raw.rstrip(b"\n").rfind(b",") - 2])  # cut in the last row
    wh = Warehouse(tmp_path / "wh")
    report = load_dataset(data, wh)
    expected = {
        "vat_returns": {"bad_date": 3},
        "payments": {"negative_amount": 2},
        "taxpayers": {"unknown_enum": 2},
        "officers": {"duplicate_key": 2},
        "utilities": {"too_many_decimals": 1},
        "social_insurance": {"malformed_row": 1},
    }
    assert {t.table: t.by_rule for t in report.tables if t.by_rule} == expected
    for name, path in _entries(data).items():
        delivered = _delivered_rows(path)
        assert _stored(wh, name, "tables") + _stored(wh, name, "quarantine") == delivered, name

    # a wrong header refuses the whole data set and leaves the warehouse as it was
    before = sorted((p.relative_to(wh.root), p.stat().st_mtime_ns) for p in wh.root.rglob("*"))
    second = tmp_path / "city2"
    shutil.copytree(data, second)
    text = (second / "cit_returns.csv").read_text(encoding="utf-8").replace("taxable_income", "taxable", 1)
    (second / "cit_returns.csv").write_text(text, encoding="utf-8")
    with pytest.raises(LoadError, match="taxable_income") as err:
        load_dataset(second, wh)
    assert "cit_returns.csv" in str(err.value)
    assert sorted((p.relative_to(wh.root), p.stat().st_mtime_ns) for p in wh.root.rglob("*")) == before
