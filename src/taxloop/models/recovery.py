"""Ranking by expected recovery: P(finding) times a predicted amount of tax recovered.

A task is worth what it recovers, not only whether it finds something. Next to the classifier, a
LightGBM regressor learns ``log1p(tax_recovered)`` from the **positive** cases of the same labelled
outcomes (the amount a finding brings, given the features). The value score of a taxpayer is

    value = P(finding) * amount ** w,   w in [0, 1]

``w = 0`` is the probability ranking, ``w = 1`` the expected recovery. ``w`` is chosen on the
time-based validation fold only (the later outcomes of the labelled cases, never the evaluation
taxpayers): the largest recovered tax per task at k = positives of that fold among the weights whose
precision at k is not below the probability ranking's. Pure functions apart from the fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from lightgbm import LGBMRegressor
from sklearn.pipeline import Pipeline

from taxloop.models.dataset import feature_prep
from taxloop.models.evaluation import evaluate_ranking

Array = npt.NDArray[np.float64]
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
MIN_POSITIVES = 20


def amount_pipeline(numeric: list[str], categorical: list[str], seed: int, n_jobs: int) -> Pipeline:
    """ColumnTransformer then a small LightGBM regressor (shallow: the positives are few)."""
    prep = feature_prep(numeric, categorical)
    model = LGBMRegressor(
        n_estimators=200,
        learning_rate=0.05,
        num_leaves=7,
        min_child_samples=10,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.5,
        random_state=seed,
        n_jobs=n_jobs,
        max_bin=127,
        verbose=-1,
    )
    return Pipeline([("prep", prep), ("model", model)])


def fit_amount(
    design: pd.DataFrame,
    categorical: list[str],
    labels: Array,
    recovered: Array,
    seed: int,
    n_jobs: int,
) -> Pipeline | None:
    """Fit the amount regressor on the positive rows with tax recovered (None when too few of them).

    ``design``: numeric features plus the ``categorical`` columns (text, ordinal-encoded here).
    """
    y = np.asarray(labels, dtype=np.float64)
    money = np.nan_to_num(np.asarray(recovered, dtype=np.float64))
    rows = np.flatnonzero((y == 1) & (money > 0))
    if len(rows) < MIN_POSITIVES:
        return None
    numeric = [c for c in design.columns if c not in categorical]
    pipe = amount_pipeline(numeric, categorical, seed, n_jobs)
    pipe.fit(design.iloc[rows], np.log1p(money[rows]))
    return pipe


def predict_amount(pipe: Pipeline, design: pd.DataFrame) -> Array:
    """Predicted tax recovered if a finding is made (yuan, at least 1)."""
    raw = np.asarray(pipe.predict(design), dtype=np.float64)
    return np.maximum(np.expm1(raw), 1.0)


def value_score(probability: Sequence[float] | Array, amount: Sequence[float] | Array, weight: float) -> Array:
    """``probability * amount ** weight`` (weight 0 = probability ranking, 1 = expected recovery)."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"value weight must be in [0, 1], got {weight} / 金额权重须在 0 到 1 之间")
    p = np.asarray(probability, dtype=np.float64)
    a = np.maximum(np.asarray(amount, dtype=np.float64), 1.0)
    if p.shape != a.shape:
        raise ValueError(f"probability ({p.shape}) and amount ({a.shape}) differ in length")
    return p * a**weight


def tune_weight(
    probability: Array, amount: Array, labels: Array, recovered: Array, weights: Sequence[float] = WEIGHTS
) -> tuple[float, list[dict[str, Any]]]:
    """Pick ``w`` on a validation fold; returns it and the figures of every weight tried.

    k = positives of the fold. Among the weights whose precision at k is at least that of ``w = 0``,
    the one with the most recovered tax per task wins (ties: the smaller weight).
    """
    y = np.asarray(labels, dtype=np.float64)
    k = max(1, int(y.sum()))
    tried = []
    for w in weights:
        rep = evaluate_ranking(value_score(probability, amount, w), y, recovered, k)
        tried.append({"weight": w, "precision_at_k": rep.precision_at_k, "recovered_per_task": rep.recovered_per_task})
    floor = tried[0]["precision_at_k"] if tried and tried[0]["weight"] == 0.0 else 0.0
    eligible = [t for t in tried if t["precision_at_k"] >= floor - 1e-12]
    best = max(eligible, key=lambda t: (t["recovered_per_task"], -t["weight"]))
    return float(best["weight"]), tried
