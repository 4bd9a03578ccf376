"""Evaluation of a scan against the synthetic city's truth: precision at k, recall and lift, per scheme.

A planted taxpayer is counted once per resolved taxpayer of ours (its TIN mapped through the
``entity_map``). ``k`` defaults to the number of planted taxpayers; the random baseline is the share of
planted taxpayers among all ranked taxpayers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from taxloop.rules.spec import RuleSpec


class TruthError(ValueError):
    """The truth folder or one of its files is missing or malformed."""


def read_truth_schemes(folder: Path) -> pd.DataFrame:
    """``taxpayer_schemes.csv`` of a truth folder (``tin, scheme, tax_evaded`` at least)."""
    path = folder / "taxpayer_schemes.csv"
    if not path.is_file():
        raise TruthError(f"{path}: truth file not found / 未找到真值文件")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("tin", "scheme") if c not in frame.columns]
    if missing:
        raise TruthError(f"{path}: missing columns {missing}")
    if "tax_evaded" in frame:
        frame["tax_evaded"] = pd.to_numeric(frame["tax_evaded"], errors="coerce").fillna(0.0)
    return frame


def planted_entities(truth: pd.DataFrame, tin_to_entity: Mapping[str, str]) -> pd.DataFrame:
    """Distinct ``entity_id, scheme`` pairs of the planted taxpayers."""
    entity = truth["tin"].map(lambda t: tin_to_entity.get(t, t))
    return pd.DataFrame({"entity_id": entity, "scheme": truth["scheme"]}).drop_duplicates()


@dataclass
class SchemeResult:
    """How well one scheme is caught."""

    scheme: str
    planted: int
    recall: float  # flagged by at least one indicator
    recall_at_k: float
    best_indicator: str
    best_indicator_recall: float
    targeted_precision: float | None  # of the indicators that list this scheme
    targeted_lift: float | None


@dataclass
class Evaluation:
    """Whole-scan figures and one ``SchemeResult`` per scheme."""

    scan_id: str
    taxpayers: int
    planted: int
    k: int
    precision_at_k: float
    baseline: float
    lift_at_k: float
    recall: float
    schemes: list[SchemeResult] = field(default_factory=list)

    def targets_met(self, min_recall: float = 0.8, min_lift: float = 5.0) -> dict[str, bool]:
        """The issue's targets: each scheme recall >= 0.8 and precision at k >= 5x random."""
        out = {f"recall[{s.scheme}]>={min_recall}": s.recall >= min_recall for s in self.schemes}
        out[f"lift_at_k>={min_lift}"] = self.lift_at_k >= min_lift
        return out

    def to_dict(self) -> dict[str, object]:
        """Plain data (for the JSON report)."""
        return {**asdict(self), "targets": self.targets_met()}


def evaluate(
    scores: pd.DataFrame,
    hits: pd.DataFrame,
    truth: pd.DataFrame,
    tin_to_entity: Mapping[str, str],
    specs: Sequence[RuleSpec] = (),
    k: int | None = None,
) -> Evaluation:
    """Score ``risk_scores`` rows (``entity_id, rank``) and hits (``subject_id, code``) against the truth."""
    planted = planted_entities(truth, tin_to_entity)
    ranked = scores.sort_values("rank")
    n = len(ranked)
    planted_set = set(planted["entity_id"])
    k = k or len(planted_set)
    top = set(ranked["entity_id"].head(k))
    flagged = set(hits["subject_id"])
    baseline = len(planted_set & set(ranked["entity_id"])) / n if n else 0.0
    p_at_k = len(top & planted_set) / k if k else 0.0
    by_code: dict[str, set[str]] = {c: set(g) for c, g in hits.groupby("code")["subject_id"]}
    results = []
    for scheme, group in planted.groupby("scheme", sort=True):
        members = set(group["entity_id"])
        best = max(by_code.items(), key=lambda kv: (len(kv[1] & members), kv[0]), default=("", set()))
        targeted = set().union(*[by_code.get(s.code, set()) for s in specs if scheme in s.schemes])
        t_prec = len(targeted & members) / len(targeted) if targeted else None
        share = len(members) / n if n else 0.0
        results.append(
            SchemeResult(
                scheme=str(scheme),
                planted=len(members),
                recall=len(members & flagged) / len(members),
                recall_at_k=len(members & top) / len(members),
                best_indicator=best[0],
                best_indicator_recall=len(best[1] & members) / len(members),
                targeted_precision=t_prec,
                targeted_lift=(t_prec / share) if t_prec is not None and share else None,
            )
        )
    return Evaluation(
        scan_id=str(ranked["scan_id"].iloc[0]) if n and "scan_id" in ranked else "",
        taxpayers=n,
        planted=len(planted_set),
        k=k,
        precision_at_k=p_at_k,
        baseline=baseline,
        lift_at_k=p_at_k / baseline if baseline else 0.0,
        recall=len(planted_set & flagged) / len(planted_set) if planted_set else 0.0,
        schemes=results,
    )
