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
