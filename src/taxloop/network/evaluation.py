"""How well the network analysis finds planted gangs: recall of members and accuracy of their roles.

Truth rows are ``tin, role`` of planted gang members (``truth/gangs.csv`` of the synthetic city); a
member is found when the analysis gives it a role, a gang or a cycle; its role is right when the
analysis' role equals the planted one.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel


class GangScore(BaseModel):
    """Recall of planted gang members and accuracy of roles."""

    planted: int
    found: int
    recall: float
    role_right: int
    role_accuracy: float
    flagged: int
    precision: float
    by_role: dict[str, dict[str, int]]


def gang_score(features: list[dict[str, object]], truth: list[dict[str, str]]) -> GangScore:
    """Score ``network_features`` rows against planted ``tin, role`` rows (precision over flagged firms)."""
    by_tin = {str(f["tin"]): f for f in features}

    def flagged(f: dict[str, object] | None) -> bool:
        return bool(f) and bool(f.get("role") or f.get("gang_id") or f.get("in_cycle"))  # type: ignore[union-attr]

    planted = {t["tin"]: t["role"] for t in truth}
    found = [tin for tin in planted if flagged(by_tin.get(tin))]
    right = [tin for tin in found if by_tin[tin].get("role") == planted[tin]]
    all_flagged = [tin for tin, f in by_tin.items() if flagged(f)]
    by_role: dict[str, Counter[str]] = {}
    for tin, role in planted.items():
        got = by_tin.get(tin, {}).get("role")
        by_role.setdefault(role, Counter())[str(got)] += 1
    n = len(planted)
    return GangScore(
        planted=n,
        found=len(found),
        recall=round(len(found) / n, 4) if n else 1.0,
        role_right=len(right),
        role_accuracy=round(len(right) / len(found), 4) if found else 0.0,
        flagged=len(all_flagged),
        precision=round(sum(1 for t in all_flagged if t in planted) / len(all_flagged), 4) if all_flagged else 1.0,
        by_role={k: dict(v) for k, v in by_role.items()},
    )
