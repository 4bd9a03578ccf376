"""Combining the expert score and the model score into one ranking score (pure).

The scan's rule (``taxloop.risk.scoring.combine``): ``(1 - model_share) * expert + model_share *
model``, both on 0..1 (the scan's expert score is ``1 - exp(-raw / scale)``; the model score is a
probability of a finding). The models area adds a calibrated variant: the expert score is first
mapped to the observed finding rate by an isotonic calibration fitted on the same outcomes as the
model (:func:`calibrate`), so both terms are probabilities and each source counts by how sure it
is. ``model_scores.combined_score`` holds the calibrated blend.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
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
    model_share: float,
    calibration: Calibration | None = None,
) -> Array:
    """``(1 - model_share) * e + model_share * model`` with e = calibrated expert when given, else expert.

    Without a calibration the expert score must already be on 0..1 (as in ``risk_scores``).
    """
    e = np.asarray(expert, dtype=np.float64)
    m = np.asarray(model, dtype=np.float64)
    if e.shape != m.shape:
        raise ValueError(f"expert ({e.shape}) and model ({m.shape}) scores differ in length")
    if not 0.0 <= model_share <= 1.0:
        raise ValueError(f"model_share must be in [0, 1], got {model_share} / 模型权重须在 0 到 1 之间")
    if calibration is not None:
        e = apply_calibration(e, calibration)
    elif len(e) and (np.nanmin(e) < 0 or np.nanmax(e) > 1):
        raise ValueError("expert scores outside 0..1 need a calibration / 专家分不在 0..1 之间时须先校准")
    return (1.0 - model_share) * e + model_share * m
