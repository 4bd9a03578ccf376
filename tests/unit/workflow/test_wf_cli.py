"""The workflow commands end to end on a small warehouse (SQLite store), including a tampered trail."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner
from wf_helpers import write_scan

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.cli.main import build_app


@pytest.fixture
def wh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "wh"
    monkeypatch.delenv("TAXLOOP_WORKFLOW_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)
    b = DuckDBBackend(Warehouse(root).ensure())
    officers = [
        {
            "officer_id": f"O{i}",
            "name": f"官员{i}",
            "id_number": f"ID{i}",
            "address": None,
            "phone": None,
            "unit_code": f"U{i % 3}",
            "region_code": "R1",
            "role": "inspector",
            "level": 3,
            "skills": "vat,invoice",
            "active_from": "2020-01-01",
            "active_to": None,
        }
        for i in range(6)
    ]
    b.write_arrow("officers", pa.Table.from_pylist(officers))
    write_scan(
        b, "S1", [{"entity_id": f"E{i}"} for i in range(5)], [{"entity_id": f"E{i}", "code": "VAT_A"} for i in range(5)]
    )
    b.close()
    return root


def _run(args: list[str], code: int = 0) -> str:
    res = CliRunner().invoke(build_app(), args)
    assert res.exit_code == code, res.output
    return res.output


def test_cli_closed_loop(wh: Path) -> None:
    w = ["-w", str(wh)]
    assert "6" in _run(["officers", "sync", *w])
    assert "created / 新建 5" in _run(["tasks", "generate", *w])
    assert "5" in _run(["tasks", "push", *w])
    assert "allocated / 已分配 5" in _run(["tasks", "allocate", *w, "--seed", "1"])
    store_url = f"sqlite:///{wh / 'workflow.sqlite'}"
    eng = sa.create_engine(store_url)
    with eng.connect() as con:
        task_id, officer, run_id = con.execute(
            sa.text(
                "SELECT t.task_id, t.assignee_id, a.run_id FROM wf_tasks t JOIN wf_allocations a USING (task_id) "
                "ORDER BY t.task_id LIMIT 1"
            )
        ).one()
    assert "confirmed" in _run(["tasks", "recheck", run_id, *w])
    out = _run(["tasks", "respond", task_id, "--officer", officer, "--finding", "adjusted", *w], code=2)
    assert "step:desk_review" in out and "tax_recovered" in out
    ok = [
        "tasks",
        "respond",
        task_id,
        "--officer",
        officer,
        "--finding",
        "adjusted",
        "--tax",
        "1234.50",
        "--steps",
        "desk_review,contact,conclude",
        "--record",
        "doubts_checked=all",
        "--record",
        "method=visit",
        "--record",
        "conclusion=under-reported",
        "--output",
        "response_report",
        "--evidence",
        "ledger p.3",
        *w,
    ]
    assert "finished" in _run(ok)
    assert task_id in _run(["tasks", "list", *w, "--status", "finished"])
    assert "allocated" not in _run(["tasks", "list", *w, "--overdue"])  # nothing is past its deadline yet
    assert "review tasks / 复核任务: 1" in _run(["tasks", "review", *w, "--share", "1.0", "--seed", "2"])
    with eng.connect() as con:
        review_id, reviewer = con.execute(
            sa.text("SELECT task_id, assignee_id FROM wf_tasks WHERE kind = 'review'")
        ).one()
    out = _run(
        [
            "tasks",
            "review-submit",
            review_id,
            "--reviewer",
            reviewer,
            "--no-result-fair",
            "--integrity-doubt",
            "--note",
            "too lenient",
            *w,
        ]
    )
    case_id = out.rsplit("廉政案件", 1)[1].split()[0]
    assert case_id.startswith("I")
    assert case_id not in _run(["tasks", "list", *w, "--kind", "integrity"])  # hidden from an inspector
    assert case_id in _run(["tasks", "list", *w, "--kind", "integrity", "--role", "discipline"])
    assert "VAT_A" in _run(["feedback", *w])
    assert "intact" in _run(["audit", "verify", *w])
    with eng.begin() as con:
        con.execute(sa.text("UPDATE wf_audit_events SET actor = 'someone else' WHERE seq = 3"))
    eng.dispose()
    assert "event 3" in _run(["audit", "verify", *w], code=1)


def test_matters_commands(tmp_path: Path) -> None:
    assert "VAT_REFUND" in _run(["matters", "list"])
    assert "13 matters ok" in _run(["matters", "lint"])
    (tmp_path / "BAD.yaml").write_text("code: BAD\n", encoding="utf-8")
    assert "BAD.yaml" in _run(["matters", "lint", str(tmp_path)], code=1)
