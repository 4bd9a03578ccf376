"""The README's main command, `taxloop demo`, on a small city: every step runs, and the figures it reports equal
what plain SQL over the workflow store (sqlite3, not the platform's code) gives."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taxloop.cli.main import build_app

pytestmark = pytest.mark.slow


def _one(con: sqlite3.Connection, sql: str) -> float:
    value = con.execute(sql).fetchone()[0]
    return float(value or 0)


def test_demo_runs_the_loop_and_reports_figures_from_the_store(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(build_app(), ["demo", str(out), "--taxpayers", "1500", "--months", "12"])
    assert result.exit_code == 0, result.output
    wh = out / "warehouse"
    report = json.loads((wh / "reports" / "demo.json").read_text(encoding="utf-8"))
    figures = {k.split(" / ")[0]: v for k, v in report["figures"].items()}
    titles = [s["title"].split(" / ")[0] for s in report["steps"]]
    assert titles[0] == "synthetic city" and titles[-1] == "audit trail"
    assert {"allocate", "cross review 10%", "doubts to verification tasks", "verification results back"} <= set(titles)

    con = sqlite3.connect(wh / "workflow.sqlite")
    done = "status IN ('finished', 'closed')"
    risk_finished = _one(con, f"SELECT count(*) FROM wf_tasks WHERE kind = 'risk' AND {done}")
    risk_hits = _one(
        con, f"SELECT count(*) FROM wf_tasks WHERE kind = 'risk' AND {done} AND finding IN ('adjusted', 'fraud')"
    )
    recovered = _one(con, f"SELECT sum(tax_recovered) FROM wf_tasks WHERE kind = 'risk' AND {done}")
    reviews_done = _one(
        con,
        "SELECT count(*) FROM wf_reviews r JOIN wf_tasks t ON t.task_id = r.review_task_id "
        "WHERE t.kind = 'review' AND r.reviewer_id IS NOT NULL",
    )
    reviews_failed = _one(
        con,
        "SELECT count(*) FROM wf_reviews r JOIN wf_tasks t ON t.task_id = r.review_task_id "
        "WHERE t.kind = 'review' AND r.reviewer_id IS NOT NULL "
        "AND (r.standard_followed = 0 OR r.policy_right = 0 OR r.result_fair = 0)",
    )
    verification_tasks = _one(con, "SELECT count(*) FROM wf_tasks WHERE batch_id LIKE 'DOUBTS-%'")
    con.close()

    assert risk_finished > 0 and figures["risk tasks finished"] == risk_finished
    assert figures["hit rate"] == pytest.approx(risk_hits / risk_finished)
    assert figures["tax recovered"] == pytest.approx(recovered, abs=0.01)
    assert figures["recovered per risk task"] == pytest.approx(recovered / risk_finished, abs=0.01)
    assert reviews_done > 0, "the simulated reviewers answered no review"
    assert figures["review failure rate"] == pytest.approx(reviews_failed / reviews_done)
    assert 0 < risk_hits < risk_finished  # planted cases found, clean ones answered "no issue"
    assert verification_tasks > 0, "the hub pushed no cross-check doubt as a verification task"
    assert "audit trail intact" in result.output  # the last step verified the hash chain
