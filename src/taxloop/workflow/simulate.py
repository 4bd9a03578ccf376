"""Simulated responses for the closed-loop demo: officers answer as the synthetic truth says.

A task whose TINs carry planted schemes (``truth/taxpayer_schemes.csv``) ends ``fraud`` (invoice
schemes) or ``adjusted`` with tax recovered near the planted evaded tax; the others end
``no_issue``. Durations are drawn so a share of responses comes after the deadline, and a seeded
share of the planted cases is missed (answered ``no_issue``), as a hurried officer would.

Reviewers (:func:`simulate_reviews`) judge each drawn task against the same truth: the standard is
not followed when the answer came after the deadline, and the policy and the result are not right
when the finding contradicts the truth (a missed scheme, or a finding where nothing was planted).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

from taxloop.workflow.matters import Catalogue, default_catalogue
from taxloop.workflow.models import Finding, ResponseInput, ReviewInput, Task
from taxloop.workflow.responses import respond
from taxloop.workflow.review import submit_review
from taxloop.workflow.tables import tasks
from taxloop.workflow.uow import UnitOfWork

FRAUD_SCHEMES = frozenset({"fake_invoicing_source", "pass_through", "invoice_recipient"})


@dataclass
class SimulationResult:
    """Counts of simulated findings."""

    answered: int = 0
    findings: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    overdue: int = 0
    missed: int = 0
    tax_recovered: Decimal = Decimal(0)


def read_truth(truth_dir: Path) -> dict[str, list[tuple[str, Decimal]]]:
    """Planted (scheme, tax_evaded) per TIN."""
    path = truth_dir / "taxpayer_schemes.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `taxloop synth` first / 缺少合成数据真值文件")
    out: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                out[row["tin"]].append((row["scheme"], Decimal(row.get("tax_evaded") or "0")))
            except (KeyError, ArithmeticError) as exc:
                raise ValueError(f"{path}:{line}: bad row ({exc})") from exc
    return out


def simulate_responses(
    uow: UnitOfWork,
    truth_dir: Path,
    seed: int = 7,
    overdue_share: float = 0.1,
    catalogue: Catalogue | None = None,
    limit: int | None = None,
    miss_share: float = 0.0,
) -> SimulationResult:
    """Answer every allocated risk task as the truth says (records real responses through ``respond``).

    ``miss_share`` of the tasks with a planted scheme are answered ``no_issue`` (seeded), so the
    cross review has real mistakes to find.
    """
    cat = catalogue or default_catalogue()
    truth = read_truth(truth_dir)
    rng = np.random.default_rng(seed)
    result = SimulationResult()
    for t in uow.tasks.find(tasks.c.kind == "risk", tasks.c.status == "allocated", limit=limit):
        assert t.assignee_id and t.allocated_at
        matter = cat.get(t.matter_code)
        planted = [p for tin in t.tins for p in truth.get(tin, [])]
        finding: Finding
        missed = bool(planted) and miss_share > 0 and rng.random() < miss_share
        if planted and not missed:
            finding = "fraud" if any(s in FRAUD_SCHEMES for s, _ in planted) else "adjusted"
            evaded = sum((v for _, v in planted), Decimal(0))
            tax = (evaded * Decimal(str(round(float(rng.uniform(0.85, 1.0)), 4)))).quantize(Decimal("0.01"))
            tax = max(tax, Decimal("1.00"))
            evidence = [f"scheme:{s}" for s, _ in planted]
        else:
            finding, tax, evidence = "no_issue", Decimal(0), []
        if rng.random() < overdue_share:
            days = matter.deadline_days + float(rng.uniform(1, 10))
        else:
            days = float(rng.uniform(1, max(matter.deadline_days - 1, 1.5)))
        at = t.allocated_at + timedelta(days=days)
        answer = ResponseInput(
            steps=[s.code for s in matter.steps],
            outputs=list(matter.standard.outputs),
            evidence=evidence,
            record={f: f"simulated {f}" for f in matter.standard.record_fields},
            finding=finding,
            tax_recovered=tax,
        )
        done = respond(uow, t.task_id, t.assignee_id, answer, at=at, catalogue=cat)
        result.answered += 1
        result.findings[finding] += 1
        result.overdue += bool(done.overdue)
        result.missed += missed
        result.tax_recovered += tax
    return result


@dataclass
class ReviewSimulation:
    """Counts of simulated reviews."""

    reviewed: int = 0
    failed: int = 0


def judge(parent: Task, planted: bool) -> ReviewInput:
    """Pure: what a reviewer who knows the truth records about a finished risk task.

    Standard followed = answered within the deadline; policy right and result fair = the finding
    agrees with the truth (a finding exactly when a scheme was planted).
    """
    found = parent.finding in ("adjusted", "fraud")
    agrees = found == planted
    notes = [text for bad, text in ((parent.overdue, "late"), (not agrees, "finding contradicts the facts")) if bad]
    return ReviewInput(
        standard_followed=not parent.overdue,
        policy_right=agrees,
        result_fair=agrees,
        integrity_doubt=False,
        note="; ".join(notes) or "ok",
    )


def simulate_reviews(uow: UnitOfWork, truth_dir: Path, limit: int | None = None) -> ReviewSimulation:
    """Answer every allocated review task with :func:`judge` (records real reviews through ``submit_review``)."""
    truth = read_truth(truth_dir)
    result = ReviewSimulation()
    for r in uow.tasks.find(tasks.c.kind == "review", tasks.c.status == "allocated", limit=limit):
        if not r.assignee_id or not r.parent_task_id:
            continue
        parent = uow.tasks.get(r.parent_task_id)
        verdict = judge(parent, any(tin in truth for tin in parent.tins))
        submit_review(uow, r.task_id, r.assignee_id, verdict)
        result.reviewed += 1
        result.failed += not (verdict.standard_followed and verdict.policy_right and verdict.result_fair)
    return result
