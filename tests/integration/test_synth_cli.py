"""``taxloop synth`` end to end through the CLI: Parquet output readable by DuckDB, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from taxloop.cli.main import build_app


def test_cli_writes_parquet_city(tmp_path: Path) -> None:
    out = tmp_path / "city"
    result = CliRunner().invoke(build_app(), ["synth", str(out), "--taxpayers", "400", "--months", "12",
                                              "--seed", "5", "--format", "parquet", "-q"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))
    con = duckdb.connect()
    n = con.execute(f"select count(*) from read_parquet('{out}/invoices/*.parquet')").fetchall()[0][0]
    assert n == manifest["rows"]["invoices"] > 0
    kinds = con.execute(f"select typeof(amount), typeof(issued_on) from read_parquet('{out}/invoices/*.parquet') "
                        "limit 1").fetchall()
    assert kinds == [("DECIMAL(18,2)", "DATE")]
    ts = con.execute(f"select typeof(ts) from read_parquet('{out}/operation_log.parquet') limit 1").fetchall()
    assert ts == [("TIMESTAMP",)]


def test_cli_refuses_non_empty_folder_and_bad_values(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("occupied", encoding="utf-8")
    runner = CliRunner()
    busy = runner.invoke(build_app(), ["synth", str(tmp_path), "--taxpayers", "300", "-q"])
    assert busy.exit_code == 2
    assert "not empty" in busy.output
    bad = runner.invoke(build_app(), ["synth", str(tmp_path / "new"), "--taxpayers", "5", "-q"])
    assert bad.exit_code == 2
    assert "at least 200" in bad.output
    fmt = runner.invoke(build_app(), ["synth", str(tmp_path / "new2"), "--format", "xlsx", "-q"])
    assert fmt.exit_code == 2
