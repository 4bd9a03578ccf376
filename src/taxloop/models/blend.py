"""Combining the expert score and the model score into one ranking score (pure).

Preferred: both on the probability scale — the expert score mapped to P(finding) by the isotonic
calibration stored with the model (:func:`calibrate`, fitted on the same outcomes), the model score
already a probability — mixed with the shares ``expert_share`` and ``model_share`` (normalised to
sum to 1). Without a calibration both scores are turned into percentile ranks instead, which is
scale-free but blind to how confident each source is. ``model_scores.combined_score`` holds the
calibrated blend; the scan engine may use it or call :func:`blend_scores` itself.
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


Calibration = tuple[list[float], list[float]]


def calibrate(expert: Sequence[float] | Array, labels: Sequence[int] | Array) -> Calibration:
    """Isotonic map expert score -> observed finding rate, as (score knots, probability knots)."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(np.asarray(expert, dtype=np.float64), np.asarray(labels, dtype=np.float64))
    return [float(v) for v in iso.X_thresholds_], [float(v) for v in iso.y_thresholds_]


def apply_calibration(expert: Sequence[float] | Array, calibration: Calibration) -> Array:
    """P(finding) for expert scores (piecewise linear between knots, clipped at the ends)."""
    xs, ys = calibration
    return np.interp(np.asarray(expert, dtype=np.float64), xs, ys)


def blend_scores(
    expert: Sequence[float] | Array,
    model: Sequence[float] | Array,
    expert_share: float = 0.5,
    model_share: float = 0.5,
    calibration: Calibration | None = None,
) -> Array:
    """Combined score with shares normalised to 1.

    With ``calibration``: ``es * P_expert(expert) + ms * model`` (model is a probability). Without:
    ``es * pct(expert) + ms * pct(model)``. A zero share drops that source entirely.
    """
    e = np.asarray(expert, dtype=np.float64)
    m = np.asarray(model, dtype=np.float64)
    if e.shape != m.shape:
        raise ValueError(f"expert ({e.shape}) and model ({m.shape}) scores differ in length")
    if expert_share < 0 or model_share < 0 or expert_share + model_share <= 0:
        raise ValueError("expert_share and model_share must be >= 0 and not both 0 / 专家与模型权重须非负且不同时为 0")
    total = expert_share + model_share
    if calibration is not None:
        return (expert_share / total) * apply_calibration(e, calibration) + (model_share / total) * m
    return (expert_share / total) * percentile_rank(e) + (model_share / total) * percentile_rank(m)
