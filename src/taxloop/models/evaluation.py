"""Pure evaluation of a ranking against outcomes: precision at k, recall, AUC-PR, lift, tax per task.

Every function takes plain arrays (scores, 0/1 labels, recovered tax) so it can be tested on crafted
inputs and reused on audit outcomes, task outcomes or the synthetic truth alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def _as_arrays(scores: Sequence[float] | Array, labels: Sequence[int] | Array) -> tuple[Array, Array]:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    if s.shape != y.shape:
        raise ValueError(f"scores ({s.shape}) and labels ({y.shape}) differ in length")
    return s, y


def top_k_order(scores: Sequence[float] | Array, k: int) -> npt.NDArray[np.int64]:
    """Indices of the k highest scores; ties broken by position (stable, deterministic)."""
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    return order[: max(0, min(k, len(s)))].astype(np.int64)


def precision_at_k(scores: Sequence[float] | Array, labels: Sequence[int] | Array, k: int) -> float:
    """Share of positives among the k highest-scored subjects (0 when k is 0)."""
    s, y = _as_arrays(scores, labels)
    top = top_k_order(s, k)
    return float(y[top].mean()) if len(top) else 0.0


def recall_at_k(scores: Sequence[float] | Array, labels: Sequence[int] | Array, k: int) -> float:
    """Share of all positives found in the k highest-scored subjects (0 when there are none)."""
    s, y = _as_arrays(scores, labels)
    total = y.sum()
    return float(y[top_k_order(s, k)].sum() / total) if total else 0.0


def average_precision(scores: Sequence[float] | Array, labels: Sequence[int] | Array) -> float:
    """Area under the precision-recall curve (average precision, ties resolved by position)."""
    s, y = _as_arrays(scores, labels)
    total = y.sum()
    if not total:
        return 0.0
    ranked = y[np.argsort(-s, kind="stable")]
    hits = np.cumsum(ranked)
    precision = hits / np.arange(1, len(ranked) + 1)
    return float((precision * ranked).sum() / total)


@dataclass(frozen=True)
class RankingReport:
    """Measures of one ranking at one task budget k."""

    k: int
    precision_at_k: float
    recall_at_k: float
    auc_pr: float
    lift: float
    recovered_total: float
    recovered_per_task: float
    base_rate: float
    per_scheme_recall: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Plain dict (for JSON reports)."""
        return asdict(self)


def evaluate_ranking(
    scores: Sequence[float] | Array,
    labels: Sequence[int] | Array,
    recovered: Sequence[float] | Array,
    k: int,
    base_rate: float | None = None,
    schemes: Sequence[str | None] | None = None,
) -> RankingReport:
    """Evaluate one ranking at budget k.

    ``base_rate`` is the positive rate of the random sample (the unbiased baseline); when None the
    population's rate is used. Lift = precision at k / base rate. ``schemes`` (one code or None per
    subject) gives recall at k within each scheme.
    """
    s, y = _as_arrays(scores, labels)
    money = np.asarray(recovered, dtype=np.float64)
    if money.shape != s.shape:
        raise ValueError(f"recovered ({money.shape}) and scores ({s.shape}) differ in length")
    top = top_k_order(s, k)
    rate = float(y.mean()) if base_rate is None and len(y) else float(base_rate or 0.0)
    prec = float(y[top].mean()) if len(top) else 0.0
    total = float(np.nan_to_num(money[top]).sum())
    per_scheme: dict[str, float] = {}
    if schemes is not None:
        codes = np.asarray([c if isinstance(c, str) else "" for c in schemes], dtype=object)
        in_top = np.zeros(len(s), dtype=bool)
        in_top[top] = True
        for code in sorted({c for c in codes if c}):
            members = codes == code
            per_scheme[code] = float(in_top[members].mean())
    return RankingReport(
        k=len(top),
        precision_at_k=prec,
        recall_at_k=recall_at_k(s, y, k),
        auc_pr=average_precision(s, y),
        lift=prec / rate if rate > 0 else float("nan"),
        recovered_total=total,
        recovered_per_task=total / len(top) if len(top) else 0.0,
        base_rate=rate,
        per_scheme_recall=per_scheme,
    )


def compare_strategies(
    strategies: Mapping[str, Sequence[float] | Array],
    labels: Sequence[int] | Array,
    recovered: Sequence[float] | Array,
    k: int,
    base_rate: float | None = None,
    schemes: Sequence[str | None] | None = None,
) -> dict[str, RankingReport]:
    """Evaluate several rankings of the same subjects side by side (same k, labels, baseline)."""
    return {
        name: evaluate_ranking(scores, labels, recovered, k, base_rate, schemes) for name, scores in strategies.items()
    }
