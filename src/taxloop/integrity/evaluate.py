"""Check a scan against planted truth (``truth/integrity_violations.csv`` of ``taxloop synth``).

For every planted violator: its rank among all officers, whether it is in the top share (default 5 %, rounded up),
whether a rule meant for its violation fired, and whether every planted op_id is in that rule's evidence.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from taxloop.analytics.backend import AnalyticsBackend

#: Which integrity rules are meant to catch each violation code of the synthetic truth.
VIOLATION_RULES: dict[str, frozenset[str]] = {
    "self_approval": frozenset({"SELF_APPROVAL"}),
    "beyond_authority": frozenset({"BEYOND_AUTHORITY"}),
    "off_hours": frozenset({"OFF_HOURS_ACTIVITY", "OFF_HOURS_APPROVAL"}),
    "concentration": frozenset({"TAXPAYER_CONCENTRATION"}),
    "fast_no_issue_closure": frozenset({"FAST_NO_ISSUE_CLOSURE"}),
    "edit_after_close": frozenset({"EDIT_AFTER_CLOSE"}),
    "conflict_of_interest": frozenset({"CONFLICT_ID", "CONFLICT_PHONE", "CONFLICT_ADDRESS"}),
    "threshold_structuring": frozenset({"THRESHOLD_STRUCTURING"}),
}


@dataclass
class ViolatorCheck:
    """The outcome for one planted (officer, violation)."""

    officer_id: str
    violation: str
    rank: int
    in_top: bool
    rules_fired: list[str]
    planted_ops: int
    missing_ops: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Ranked in the top share, right rule fired, every planted op in its evidence."""
        return self.in_top and bool(self.rules_fired) and not self.missing_ops


def read_truth(path: Path) -> dict[tuple[str, str], set[str]]:
    """(officer_id, violation) -> planted op_ids."""
    planted: dict[tuple[str, str], set[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            ops = planted.setdefault((row["officer_id"], row["violation"]), set())
            if row.get("op_id"):
                ops.add(row["op_id"])
    return planted


def evaluate_planted(backend: AnalyticsBackend, truth: Path, top_share: float = 0.05) -> list[ViolatorCheck]:
    """Compare ``integrity_scores``/``integrity_hits`` with the planted violations."""
    ranks = {
        r["officer_id"]: r["rank"] for r in backend.query("SELECT officer_id, rank FROM integrity_scores").to_pylist()
    }
    cutoff = max(1, math.ceil(top_share * len(ranks)))
    evidence: dict[tuple[str, str], set[str]] = {}
    for hit in backend.query("SELECT officer_id, code, evidence FROM integrity_hits").to_pylist():
        items = set((hit["evidence"] or "").split(";"))
        evidence.setdefault((hit["officer_id"], hit["code"]), set()).update(items)
    checks = []
    for (officer, violation), ops in sorted(read_truth(truth).items()):
        rules = VIOLATION_RULES.get(violation, frozenset())
        fired = sorted(code for code in rules if (officer, code) in evidence)
        seen = set().union(*(evidence[(officer, code)] for code in fired)) if fired else set()
        rank = int(ranks.get(officer, len(ranks) + 1))
        checks.append(ViolatorCheck(officer, violation, rank, rank <= cutoff, fired, len(ops), sorted(ops - seen)))
    return checks
