"""Combining the expert score and the model score into one ranking score (pure).

Both scores are turned into percentile ranks in [0, 1] (so their scales do not matter) and mixed
with the configured shares ``expert_share`` and ``model_share`` (normalised to sum to 1). The scan
engine uses the same rule when it blends ``model_scores`` into ``risk_scores``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def percentile_rank(values: Sequence[float] | Array) -> Array:
    """Rank of each value scaled to [0, 1] (ties share their average rank; NaN counts as lowest)."""
    x = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=-np.inf)
    n = len(x)
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return np.ones(1)
    # np.unique sorts; the first index and count of each value give the average rank of its ties
    uniq, start, counts = np.unique(np.sort(x), return_index=True, return_counts=True)
    mean_rank = start + (counts - 1) / 2.0
    ranks = mean_rank[np.searchsorted(uniq, x)]
    return ranks / (n - 1)


def blend_scores(
    expert: Sequence[float] | Array,
    model: Sequence[float] | Array,
    expert_share: float = 0.5,
    model_share: float = 0.5,
) -> Array:
    """Combined score: ``expert_share * pct(expert) + model_share * pct(model)``, shares normalised.

    An unflagged taxpayer (expert score 0) keeps the lowest expert percentile, so only a strong model
    score lifts it; a zero share drops that source entirely.
    """
    e = np.asarray(expert, dtype=np.float64)
    m = np.asarray(model, dtype=np.float64)
    if e.shape != m.shape:
        raise ValueError(f"expert ({e.shape}) and model ({m.shape}) scores differ in length")
    if expert_share < 0 or model_share < 0 or expert_share + model_share <= 0:
        raise ValueError("expert_share and model_share must be >= 0 and not both 0 / 专家与模型权重须非负且不同时为 0")
    total = expert_share + model_share
    return (expert_share / total) * percentile_rank(e) + (model_share / total) * percentile_rank(m)
