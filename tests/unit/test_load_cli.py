"""``taxloop load``: prints the report on success; names the file and exits non-zero on a wrong file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from load_fixtures import small_dataset
from taxloop.cli.main import build_app


def test_load_command(tmp_path: Path) -> None:
    data = small_dataset(tmp_path / "d")
    runner = CliRunner()
    ok = runner.invoke(build_app(), ["load", str(data), "--warehouse", str(tmp_path / "wh"), "-q"])
    assert ok.exit_code == 0, ok.output
    assert "Load report" in ok.output
    assert len(list((tmp_path / "wh" / "reports").glob("load-*.json"))) == 1
    (data / "taxpayer.csv").write_text("a\n1\n", encoding="utf-8")
    bad = runner.invoke(build_app(), ["load", str(data), "--warehouse", str(tmp_path / "wh"), "-q"])
    assert bad.exit_code != 0
    assert "taxpayer.csv" in bad.output and "unknown table" in bad.output


def test_keys_command_keys_tables_written_by_other_means(tmp_path: Path) -> None:
    import duckdb

    data = small_dataset(tmp_path / "d")
    runner = CliRunner()
    empty = runner.invoke(build_app(), ["keys", "--warehouse", str(tmp_path / "none")])
    assert empty.exit_code != 0 and "no warehouse tables" in empty.output
    wh = tmp_path / "wh"
    assert runner.invoke(build_app(), ["load", str(data), "--warehouse", str(wh), "-q"]).exit_code == 0
    invoices = wh / "tables" / "invoices"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * EXCLUDE (seller_key, buyer_key) FROM '{invoices}/*.parquet') TO '{tmp_path}/x.parquet'"
    )
    for part in invoices.glob("*.parquet"):
        part.unlink()
    (tmp_path / "x.parquet").rename(invoices / "part-0.parquet")  # as if copied in without keys
    ok = runner.invoke(build_app(), ["keys", "--warehouse", str(wh)])
    assert ok.exit_code == 0, ok.output
    assert "invoices:" in ok.output
    missing = con.execute(
        f"SELECT count(*) FROM '{invoices}/*.parquet' i LEFT JOIN '{wh}/derived/tin_keys/*.parquet' d "
        "ON d.tin = i.seller_tin WHERE i.seller_key IS DISTINCT FROM d.tin_key"
    ).fetchall()[0][0]
    assert missing == 0
