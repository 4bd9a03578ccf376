"""A small world for the web page tests and the browser journeys: a warehouse with hits, gangs, an operation
log and a ledger; a workflow
store with officers in two regions, tasks, a review task and an integrity case; accounts for everyone."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.api.accounts import accounts_from_officers, add_user
from taxloop.workflow.models import Officer, Task
from taxloop.workflow.store import WorkflowStore
from taxloop.workflow.tables import reviews

PASSWORD = "secret-123"
SHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
NOW = datetime(2026, 11, 23, 9, 0, 0)


def _officer(oid: str, region: str, unit: str, role: str, level: int = 3) -> Officer:
    return Officer(officer_id=oid, name=f"官员{oid}", unit_code=unit, region_code=region, role=role, level=level)


def _task(
    tid: str, assignee: str | None, region: str, kind: str = "risk", matter: str = "RISK_RESPONSE", **kw: object
) -> Task:
    return Task(
        task_id=tid,
        kind=kind,
        matter_code=matter,
        entity_id=f"E-{tid}",
        tins=[f"T-{tid}"],
        scan_id="S1",
        region_code=region,
        status=kw.pop("status", "allocated"),
        assignee_id=assignee,
        created_at=NOW,  # type: ignore[arg-type]
        due_at=NOW + timedelta(days=30),
        restricted=(kind == "integrity"),
        level="high",
        score=42.0,
        indicators=["VAT_LOW_BURDEN"],
        **kw,
    )  # type: ignore[arg-type]


def build_world(root: Path) -> tuple[Path, WorkflowStore]:
    """Create the warehouse and the store under ``root``; returns (warehouse path, store)."""
    wh = Warehouse(root / "wh").ensure()
    be = DuckDBBackend(wh)
    be.write_arrow(
        "indicator_hits",
        pa.table(
            {
                "scan_id": ["S1"],
                "code": ["VAT_LOW_BURDEN"],
                "subject_id": ["E-T1"],
                "tin": ["T-T1"],
                "period": ["2026-05"],
                "value": [0.004],
                "threshold": [0.02],
                "evidence": ["burden=0.4%;industry_p10=2.0%"],
                "weight": [1.0],
                "severity": ["high"],
                "category": ["vat"],
            }
        ),
    )
    be.write_arrow(
        "risk_scores",
        pa.table(
            {
                "scan_id": ["S1", "S1"],
                "rank": [1, 2],
                "entity_id": ["E-T1", "E-T3"],
                "tins": ["T-T1", "T-T3"],
                "score": [42.0, 30.0],
                "level": ["high", "high"],
                "indicators": ["VAT_LOW_BURDEN", "X"],
                "selection": ["indicator", "indicator"],
                "region_code": ["R1", "R2"],
                "industry_code": ["C3911", "F5191"],
            }
        ),
    )
    be.write_arrow(
        "gangs",
        pa.table({"gang_id": ["G1"] * 3, "tin": ["S", "P", "R"], "role": ["source", "pass_through", "recipient"]}),
    )
    be.write_arrow("invoices", pa.table({"seller_tin": ["S", "P"], "buyer_tin": ["P", "R"]}))
    be.write_arrow(
        "operation_log",
        pa.table(
            {
                "op_id": ["OP1", "OP2"],
                "ts": [NOW - timedelta(days=3), NOW - timedelta(days=3, hours=-1)],
                "officer_id": ["A2", "A2"],
                "matter_code": ["VAT_REFUND", "VAT_REFUND"],
                "case_id": ["K1", "K1"],
                "tin": ["T9", "T9"],
                "action": ["submit", "approve"],
                "amount": [499000.0, 499000.0],
                "required_level": [3, 4],
                "note": [None, None],
            }
        ),
    )
    be.close()
    store = WorkflowStore.open(f"sqlite:///{root / 'wf.sqlite'}", clock=lambda: NOW)
    with store.uow("test") as uow:
        uow.officers.upsert_many(
            [
                _officer("A1", "R1", "U1", "administrator"),
                _officer("A2", "R1", "U2", "administrator"),
                _officer("B1", "R2", "U9", "administrator"),
                _officer("L1", "R1", "U0", "leader", 5),
                _officer("D1", "R1", "UD", "discipline", 4),
                _officer("V1", "R2", "U8", "reviewer", 4),
                _officer("N1", "R1", "UA", "analyst", 3),
            ]
        )
        uow.tasks.add_many(
            [
                _task("T1", "A1", "R1"),
                _task("T2", "A2", "R1"),
                _task("T3", "B1", "R2"),
                _task(
                    "RV1", "V1", "R1", kind="review", matter="TASK_REVIEW", parent_task_id="T2", subject_officer_id="A2"
                ),
                _task(
                    "C1",
                    "D1",
                    "R1",
                    kind="integrity",
                    matter="INTEGRITY_CASE",
                    subject_officer_id="A2",
                    hit_keys=["OP1", "OP2"],
                    note="self-approval",
                ),
            ]
        )
        uow.conn.execute(reviews.insert().values(review_task_id="RV1", task_id="T2", reviewed_officer_id="A2"))
        accounts_from_officers(uow.conn, PASSWORD)
        add_user(uow.conn, "audit", PASSWORD, "auditor", "审计员")
        uow.commit()
    return wh.root, store
