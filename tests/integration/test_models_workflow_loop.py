"""The learning loop through the workflow services on a small synthetic city (synth -> load -> scan -> loop).

Every figure of the loop report is checked against the workflow store and the truth, recomputed here:
tasks pushed per cycle, findings equal to the planted schemes except the recorded misses, the review
verdicts, the labels that flowed back through ``task_outcomes`` into the retrained model.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from taxloop.cli.main import build_app
from taxloop.workflow.tables import reviews, tasks

pytestmark = pytest.mark.slow


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(build_app(), args)
    assert result.exit_code == 0, result.output
    return result.output


def test_workflow_loop_on_synthetic_city(tmp_path: Path) -> None:
    city, wh = tmp_path / "city", tmp_path / "wh"
    _run(["synth", str(city), "--taxpayers", "3000", "--months", "12", "--seed", "5", "--format", "parquet", "-q"])
    _run(["load", str(city), "-w", str(wh)])
    _run(["scan", "-w", str(wh)])
    _run(["models", "loop", "--workflow", "-w", str(wh), "--truth", str(city / "truth"), "--cycles", "2"])
    report = json.loads((wh / "reports" / "models_loop_workflow.json").read_text(encoding="utf-8"))
    rows = report["cycles"]
    assert [r["policy"] for r in rows] == ["expert", "model+expert"]

    with open(city / "truth" / "taxpayer_schemes.csv", encoding="utf-8", newline="") as fh:
        planted = {row["tin"] for row in csv.DictReader(fh)}
    engine = sa.create_engine(f"sqlite:///{wh / 'loop' / 'workflow.sqlite'}")
    with engine.connect() as conn:
        risk = list(conn.execute(sa.select(tasks).where(tasks.c.kind == "risk")))
        verdicts = list(conn.execute(reviews.select()))
    engine.dispose()
    by_id = {t.task_id: t for t in risk}
    missed_total = 0
    for r in rows:
        mine = [t for t in risk if t.batch_id == f"LOOP{r['cycle']}"]
        pushed = [t for t in mine if t.selection != "random"]
        assert r["tasks"] == len(pushed) > 0 and r["tasks"] + r["random_tasks"] == len(mine) == r["allocated"]
        assert all(t.status == "finished" for t in mine)
        truth_hits = [t for t in pushed if set(t.tins) & planted]
        found = [t for t in pushed if t.finding in ("adjusted", "fraud")]
        assert {t.task_id for t in found} <= {t.task_id for t in truth_hits}  # no finding without a scheme
        assert r["hit_rate"] == pytest.approx(len(found) / len(pushed))
        assert r["recovered"] == pytest.approx(float(sum(t.tax_recovered or 0 for t in pushed)), rel=1e-9)
        missed_total += r["missed"]
    all_planted = [t for t in risk if set(t.tins) & planted]
    assert sum(t.finding == "no_issue" for t in all_planted) == missed_total
    # the retrained model of cycle 1 learned from cycle 0's responses, fed back through task_outcomes
    assert rows[1]["label_sources"]["task_outcomes"] == rows[0]["allocated"]
    # reviews: a verdict fails exactly when the answer was late or contradicts the truth
    assert len(verdicts) == sum(r["reviews"] for r in rows) > 0
    failed = 0
    for v in verdicts:
        parent = by_id[v.task_id]
        right = (parent.finding in ("adjusted", "fraud")) == bool(set(parent.tins) & planted)
        assert v.policy_right is right and v.standard_followed is (not parent.overdue)
        failed += bool(parent.overdue or not right)
    assert failed == sum(r["reviews_failed"] for r in rows)
