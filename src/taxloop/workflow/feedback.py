"""Feedback: finished task outcomes back to the warehouse and the indicator effectiveness they give.

``task_outcomes`` has the columns of the contract's ``audit_outcomes`` (case_id, tin, opened_on,
closed_on, selection, finding, tax_recovered, scheme) plus task_id, entity_id, scan_id, indicators,
so models train on them and the effectiveness report measures indicators against them.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pyarrow as pa

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.workflow.tables import tasks
from taxloop.workflow.uow import UnitOfWork

OUTCOME_SCHEMA = pa.schema(
    [
        ("case_id", pa.string()),
        ("tin", pa.string()),
        ("opened_on", pa.date32()),
        ("closed_on", pa.date32()),
        ("selection", pa.string()),
        ("finding", pa.string()),
        ("tax_recovered", pa.decimal128(18, 2)),
        ("scheme", pa.string()),
        ("task_id", pa.string()),
        ("entity_id", pa.string()),
        ("scan_id", pa.string()),
        ("indicators", pa.list_(pa.string())),
    ]
)
SELECTIONS = ("indicator", "model", "random", "tip_off", "other")


def outcome_rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    """One row per finished risk task (tin = the task's first TIN)."""
    rows = []
    for t in uow.tasks.find(tasks.c.kind == "risk", tasks.c.status.in_(("finished", "closed"))):
        assert t.finished_at is not None
        rows.append(
            {
                "case_id": t.task_id,
                "tin": t.tins[0] if t.tins else t.entity_id,
                "opened_on": (t.allocated_at or t.created_at).date(),
                "closed_on": t.finished_at.date(),
                "selection": t.selection if t.selection in SELECTIONS else "other",
                "finding": t.finding,
                "tax_recovered": Decimal(t.tax_recovered or 0).quantize(Decimal("0.01")),
                "scheme": None,
                "task_id": t.task_id,
                "entity_id": t.entity_id,
                "scan_id": t.scan_id,
                "indicators": t.indicators,
            }
        )
    return rows


def write_outcomes(uow: UnitOfWork, backend: AnalyticsBackend) -> int:
    """Write derived ``task_outcomes``; returns rows."""
    rows = outcome_rows(uow)
    n = backend.write_arrow("task_outcomes", pa.Table.from_pylist(rows, schema=OUTCOME_SCHEMA))
    uow.record("feedback.outcomes", "task_outcomes", {"rows": n})
    return n


def indicator_effectiveness(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per indicator: tasks, productive tasks (adjusted/fraud), hit rate, tax recovered and per task."""
    acc: dict[str, list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for r in rows:
        for code in r["indicators"] or []:
            a = acc[code]
            a[0] += 1
            a[1] += r["finding"] in ("adjusted", "fraud")
            a[2] += Decimal(r["tax_recovered"] or 0)
    return [
        {
            "code": code,
            "tasks": a[0],
            "productive": a[1],
            "hit_rate": a[1] / a[0],
            "tax_recovered": float(a[2]),
            "recovered_per_task": float(a[2]) / a[0],
        }
        for code, a in sorted(acc.items())
    ]


def write_effectiveness(uow: UnitOfWork, backend: AnalyticsBackend) -> list[dict[str, Any]]:
    """Write ``task_outcomes`` and derived ``indicator_feedback`` (the effectiveness rows); returns them."""
    write_outcomes(uow, backend)
    eff = indicator_effectiveness(outcome_rows(uow))
    schema = pa.schema(
        [
            ("code", pa.string()),
            ("tasks", pa.int64()),
            ("productive", pa.int64()),
            ("hit_rate", pa.float64()),
            ("tax_recovered", pa.float64()),
            ("recovered_per_task", pa.float64()),
        ]
    )
    backend.write_arrow("indicator_feedback", pa.Table.from_pylist(eff, schema=schema))
    uow.record("feedback.effectiveness", "indicator_feedback", {"indicators": len(eff)})
    return eff
