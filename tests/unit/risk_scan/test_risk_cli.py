"""The CLI: scan, export the risk list, evaluate and report on the crafted city."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from taxloop.cli.main import build_app

from .city import RULES, TAXPAYERS


def test_scan_export_evaluate_report(city, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    app = build_app()
    wh = str(city.root)
    res = runner.invoke(app, ["scan", "-w", wh, "--folder", str(RULES), "--sample-share", "0.5", "--seed", "3"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "risk_list.csv"
    res = runner.invoke(app, ["export", "risk-list", str(out), "-w", wh])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["rank", "entity_id", "tins", "score", "level", "indicators", "selection"]
    assert len(rows) == len(TAXPAYERS) - 1  # T11 and T12 are one taxpayer
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0]["entity_id"] == "T06" and rows[0]["selection"] == "indicator"
    assert next(r for r in rows if r["entity_id"] == "E11")["tins"] == "T11;T12"
    unflagged = [r for r in rows if r["indicators"] == ""]
    assert sum(r["selection"] == "random" for r in unflagged) == round(0.5 * len(unflagged))

    truth = tmp_path / "truth"
    truth.mkdir()
    (truth / "taxpayer_schemes.csv").write_text(
        "tin,true_entity_id,scheme,gang_id,role,tax_evaded\nT06,T06,under_reported_sales,,,10\n"
        "T12,T11,zero_declaration_trading,,,5\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["evaluate", "-w", wh, "--truth", str(truth), "--folder", str(RULES)])
    assert res.exit_code == 0, res.output
    report = json.loads(next((city.root / "reports").glob("evaluate-*.json")).read_text(encoding="utf-8"))
    assert report["k"] == 2 and report["precision_at_k"] == 1.0

    audits = pa.table({"case_id": ["C1"], "tin": ["T06"], "opened_on": ["2024-05-01"], "selection": ["random"],
                       "finding": ["fraud"], "tax_recovered": [50.0]})  # fmt: skip
    (city.root / "tables" / "audit_outcomes").mkdir()
    pq.write_table(audits, city.root / "tables" / "audit_outcomes" / "part-0.parquet")
    res = runner.invoke(app, ["indicators", "report", "-w", wh, "--truth", str(truth)])
    assert res.exit_code == 0, res.output
    assert "TINVGAP" in (city.root / "reports" / "indicator_effectiveness.csv").read_text(encoding="utf-8")


def test_clear_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    app = build_app()
    res = runner.invoke(app, ["export", "risk-list", str(tmp_path / "x.csv"), "-w", str(tmp_path / "empty")])
    assert res.exit_code == 2 and "taxloop scan" in res.output
    res = runner.invoke(app, ["scan", "-w", str(tmp_path / "w"), "--folder", str(RULES), "--indicators", "NOPE"])
    assert res.exit_code == 2 and "NOPE" in res.output
    res = runner.invoke(app, ["indicators", "lint", "--folder", str(RULES)])
    assert res.exit_code == 0 and "0 errors" in res.output
