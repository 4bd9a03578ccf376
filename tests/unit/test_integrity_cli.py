"""CLI: import a log, scan, export the integrity list, lint and list rules; errors are clear."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from test_integrity_eventlog import XES
from typer.testing import CliRunner

from taxloop.cli.main import build_app

RUN = CliRunner()


def test_import_scan_export(tmp_path: Path) -> None:
    app, wh = build_app(), tmp_path / "wh"
    log = tmp_path / "log.xes.gz"
    log.write_bytes(
        gzip.compress(
            XES.replace("Decide", "T04 Determine confirmation of receipt")
            .replace("Submit", "Confirmation of receipt")
            .encode()
        )
    )
    out = RUN.invoke(app, ["integrity", "import-log", str(log), "-m", "receipt_wabo", "-w", str(wh)])
    assert out.exit_code == 0, out.output
    assert "Mystery step" in out.output  # unmapped activities are reported
    out = RUN.invoke(app, ["integrity", "scan", "-w", str(wh), "-p", "OFF_HOURS_APPROVAL.power_matters=*"])
    assert out.exit_code == 0, out.output
    target = tmp_path / "list.csv"
    out = RUN.invoke(app, ["export", "integrity-list", str(target), "-w", str(wh)])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [r["rank"] for r in rows] == ["1", "2"]
    top = rows[0]
    assert top["officer_id"] == "R1" and "SELF_APPROVAL" in top["indicators"].split(";")
    assert set(top["evidence"].split(";")) >= {"receipt_wabo:1", "receipt_wabo:2"}


def test_errors_and_rule_commands(tmp_path: Path) -> None:
    app = build_app()
    bad = tmp_path / "bad.xes"
    bad.write_text("<log><trace>", encoding="utf-8")
    out = RUN.invoke(app, ["integrity", "import-log", str(bad), "-m", "receipt_wabo", "-w", str(tmp_path / "w")])
    assert out.exit_code == 2 and "malformed XML" in out.output
    out = RUN.invoke(app, ["integrity", "scan", "-w", str(tmp_path / "empty"), "-p", "oops"])
    assert out.exit_code == 2 and "CODE.name=value" in out.output
    out = RUN.invoke(app, ["export", "integrity-list", str(tmp_path / "x.csv"), "-w", str(tmp_path / "empty")])
    assert out.exit_code == 2 and "integrity scan" in out.output
    assert RUN.invoke(app, ["integrity", "rules", "lint"]).exit_code == 0
    listing = RUN.invoke(app, ["integrity", "rules", "list"])
    assert listing.exit_code == 0 and "SELF_APPROVAL" in listing.output
