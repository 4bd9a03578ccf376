"""Bridge from the integrity scan to the workflow: suspected risks become integrity cases for the discipline role.

The top officers of ``integrity_scores`` (default: top 5 %, score > 0) are proposed; an officer who already has an
open integrity case gets no second one. Cases are opened with the workflow's ``open_integrity_case`` (restricted:
visible to discipline and auditors only) carrying the rule codes and the evidence op_ids, then allocated with the
workflow's allocator to discipline officers never of the subject officer's own unit. Investigation and closing
with a recorded result are the workflow's response service on matter ``INTEGRITY_CASE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.workflow.tables import tasks
from taxloop.workflow.uow import UnitOfWork

MAX_EVIDENCE = 200


@dataclass(frozen=True)
class CaseProposal:
    """One officer proposed for an integrity investigation."""

    officer_id: str
    rank: int
    score: float
    rule_codes: tuple[str, ...]
    evidence: tuple[str, ...]

    @property
    def reason(self) -> str:
        """Human-readable reason (zh / en)."""
        codes = ", ".join(self.rule_codes)
        return f"廉政扫描疑点 / integrity scan: rank {self.rank}, score {self.score:.1f}: {codes}"


def propose_cases(backend: AnalyticsBackend, top_share: float = 0.05, min_score: float = 0.0) -> list[CaseProposal]:
    """Officers ranked in the top ``top_share`` (rounded up) with a score above ``min_score``."""
    if not backend.has_table("integrity_scores"):
        raise FileNotFoundError("no integrity_scores: run `taxloop integrity scan` first / 请先运行廉政扫描")
    rows = backend.query("SELECT rank, officer_id, score, indicators, evidence FROM integrity_scores ORDER BY rank")
    cutoff = max(1, math.ceil(top_share * rows.num_rows))
    out = []
    for r in rows.to_pylist():
        if r["rank"] <= cutoff and r["score"] > min_score:
            evidence = tuple(e for e in (r["evidence"] or "").split(";") if e)[:MAX_EVIDENCE]
            codes = tuple(c for c in (r["indicators"] or "").split(";") if c)
            out.append(CaseProposal(r["officer_id"], int(r["rank"]), float(r["score"]), codes, evidence))
    return out


def open_cases(uow: UnitOfWork, proposals: list[CaseProposal], seed: int) -> tuple[list[str], list[str]]:
    """Open and allocate integrity cases; returns (new case ids, officers skipped for an open case)."""
    from taxloop.workflow.review import allocate_integrity_cases, open_integrity_case

    open_now = uow.tasks.find(tasks.c.kind == "integrity", tasks.c.status.not_in(("finished", "closed")))
    busy = {t.subject_officer_id for t in open_now}
    ids, skipped = [], []
    for p in proposals:
        if p.officer_id in busy:
            skipped.append(p.officer_id)
            continue
        ids.append(
            open_integrity_case(uow, p.officer_id, p.reason, evidence=list(p.evidence), rule_codes=list(p.rule_codes))
        )
    if ids:
        allocate_integrity_cases(uow, seed, ids)
    return ids, skipped
