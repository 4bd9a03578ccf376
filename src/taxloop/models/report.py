"""Side-by-side evaluation of expert rules alone, the model alone and their combination.

Ground truth is either the synthetic city's truth folder (``taxpayer_schemes.csv``) or, on real
data, the outcomes of cases (``audit_outcomes``/``task_outcomes``). Entities the model was trained
on are left out so the model is judged only on taxpayers it has not seen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from taxloop.models.blend import Calibration, blend_scores
from taxloop.models.evaluation import RankingReport, compare_strategies
from taxloop.models.recovery import value_score


def read_truth(truth_dir: Path, entity_map: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-entity truth from ``taxpayer_schemes.csv``: ``entity_id, positive, tax_evaded, scheme``.

    TINs map to entities through ``entity_map`` (``tin, entity_id``) when given, else entity = TIN.
    The scheme kept is the one with the most evaded tax.
    """
    path = truth_dir / "taxpayer_schemes.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: pass the synthetic truth folder / 未找到真值文件 {path}")
    schemes = pd.read_csv(path, dtype={"tin": str, "scheme": str})
    for col in ("tin", "scheme", "tax_evaded"):
        if col not in schemes.columns:
            raise ValueError(f"{path}: column {col!r} is missing / 缺少列 {col}")
    if entity_map is not None and len(entity_map):
        emap = entity_map[["tin", "entity_id"]].drop_duplicates("tin")
        schemes = schemes.merge(emap, on="tin", how="left")
        schemes["entity_id"] = schemes["entity_id"].fillna(schemes["tin"])
    else:
        schemes["entity_id"] = schemes["tin"]
    schemes["tax_evaded"] = pd.to_numeric(schemes["tax_evaded"], errors="coerce").fillna(0.0)
    schemes = schemes.sort_values("tax_evaded", ascending=False)
    grouped = schemes.groupby("entity_id", sort=True)
    out = pd.DataFrame({"tax_evaded": grouped["tax_evaded"].sum(), "scheme": grouped["scheme"].first()})
    out["positive"] = 1
    return out.reset_index()


def attach_truth(frame: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Pure: the frame with ``positive`` (0/1), ``tax_evaded`` and ``scheme`` from the truth."""
    out = frame.drop(columns=[c for c in ("positive", "tax_evaded", "scheme") if c in frame.columns])
    out = out.merge(truth, on="entity_id", how="left")
    out["positive"] = out["positive"].fillna(0).astype(int)
    out["tax_evaded"] = out["tax_evaded"].fillna(0.0)
    return out


def side_by_side(
    expert: np.ndarray[Any, Any],
    model: np.ndarray[Any, Any],
    positive: np.ndarray[Any, Any],
    recovered: np.ndarray[Any, Any],
    k: int,
    model_share: float,
    schemes: list[str | None] | None = None,
    base_rate: float | None = None,
    calibration: Calibration | None = None,
    amount: np.ndarray[Any, Any] | None = None,
    value_weight: float = 0.0,
) -> dict[str, RankingReport]:
    """Expert alone, model alone and the blends, measured at the same k on the same subjects.

    ``combination`` is the scan's rule on the expert score as it is (when on 0..1);
    ``combination_calibrated`` maps the expert score through the model's calibration first;
    ``combination_value`` ranks the calibrated blend times the predicted amount ** ``value_weight``
    (:mod:`taxloop.models.recovery`; the weight comes from the model's validation fold).
    """
    strategies: dict[str, Any] = {"expert": expert, "model": model}
    if len(expert) and np.nanmin(expert) >= 0 and np.nanmax(expert) <= 1:
        strategies["combination"] = blend_scores(expert, model, model_share)
    if calibration is not None:
        strategies["combination_calibrated"] = blend_scores(expert, model, model_share, calibration)
        if amount is not None:
            strategies["combination_value"] = value_score(strategies["combination_calibrated"], amount, value_weight)
    return compare_strategies(strategies, positive, recovered, k, base_rate, schemes)


def reports_table(reports: dict[str, RankingReport]) -> list[dict[str, Any]]:
    """Rows for printing: one per strategy with the headline measures."""
    return [
        {
            "strategy": name,
            "k": r.k,
            "precision_at_k": round(r.precision_at_k, 4),
            "recall_at_k": round(r.recall_at_k, 4),
            "auc_pr": round(r.auc_pr, 4),
            "lift": round(r.lift, 2),
            "recovered_per_task": round(r.recovered_per_task, 2),
        }
        for name, r in reports.items()
    ]


def scheme_table(reports: dict[str, RankingReport]) -> pd.DataFrame:
    """Recall at k per scheme (rows) and strategy (columns)."""
    data = {name: r.per_scheme_recall for name, r in reports.items()}
    return pd.DataFrame(data).sort_index()


def markdown(title: str, meta: dict[str, Any], reports: dict[str, dict[str, RankingReport]]) -> str:
    """A readable Markdown report: one table per k plus the per-scheme recall."""
    lines = [f"# {title}", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    for label, reps in reports.items():
        lines += ["", f"## {label}", "", "| strategy | k | precision@k | recall@k | AUC-PR | lift | recovered/task |"]
        lines.append("|---|---|---|---|---|---|---|")
        for row in reports_table(reps):
            lines.append(
                f"| {row['strategy']} | {row['k']} | {row['precision_at_k']:.3f} | {row['recall_at_k']:.3f} |"
                f" {row['auc_pr']:.3f} | {row['lift']:.2f} | {row['recovered_per_task']:,.0f} |"
            )
        table = scheme_table(reps)
        if not table.empty:
            lines += ["", "Recall at k per scheme / 分类型召回率", "", "| scheme | " + " | ".join(table.columns) + " |"]
            lines.append("|---" * (len(table.columns) + 1) + "|")
            for scheme, vals in table.iterrows():
                lines.append(f"| {scheme} | " + " | ".join(f"{v:.3f}" for v in vals) + " |")
    return "\n".join(lines) + "\n"
