"""Ranking by expected recovery: value score, weight tuning on a validation fold, the amount regressor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from taxloop.models.recovery import MIN_POSITIVES, fit_amount, predict_amount, tune_weight, value_score


def test_value_score_interpolates_between_probability_and_expected_recovery() -> None:
    p = np.array([0.9, 0.5])
    amount = np.array([100.0, 1000.0])
    assert value_score(p, amount, 0.0).tolist() == pytest.approx([0.9, 0.5])
    assert value_score(p, amount, 1.0).tolist() == pytest.approx([90.0, 500.0])
    assert value_score(p, np.array([0.0, -5.0]), 1.0).tolist() == pytest.approx([0.9, 0.5])  # amount floored at 1
    with pytest.raises(ValueError):
        value_score(p, amount, 1.5)
    with pytest.raises(ValueError):
        value_score(p, amount[:1], 0.5)


def test_tune_weight_prefers_money_only_when_precision_holds() -> None:
    # 4 positives of 8; the probability ranks three small positives first, the amount knows the big one
    prob = np.array([0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.1, 0.05])
    labels = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    recovered = np.array([10, 10, 10, 0, 1000, 0, 0, 0], dtype=float)
    amount = np.array([10, 10, 10, 10, 1000, 10, 10, 10], dtype=float)
    w, tried = tune_weight(prob, amount, labels, recovered)
    assert [t["weight"] for t in tried] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert tried[0]["precision_at_k"] == pytest.approx(0.75) and tried[0]["recovered_per_task"] == pytest.approx(7.5)
    assert w == 0.25  # every w > 0 finds the big case; ties go to the smallest weight
    assert tried[1]["precision_at_k"] == pytest.approx(1.0) and tried[1]["recovered_per_task"] == pytest.approx(257.5)
    # an amount that points at negatives: every w > 0 loses precision, so w stays 0
    bad = np.array([10, 10, 10, 5000, 10, 5000, 5000, 5000], dtype=float)
    w_bad, tried_bad = tune_weight(prob, bad, labels, recovered)
    assert w_bad == 0.0 and all(t["precision_at_k"] < 0.75 for t in tried_bad[1:])


def test_amount_regressor_learns_the_amount_of_positive_cases() -> None:
    rng = np.random.default_rng(3)
    n = 400
    size = rng.uniform(0, 10, n)
    design = pd.DataFrame(
        {"size": size, "noise": rng.normal(size=n), "region": rng.choice(["A", "B"], n).astype(object)}
    )
    labels = (rng.random(n) < 0.5).astype(float)
    recovered = np.where(labels == 1, np.exp(size), 0.0)
    pipe = fit_amount(design, ["region"], labels, recovered, seed=1, n_jobs=1)
    assert pipe is not None
    pred = predict_amount(pipe, design)
    assert (pred >= 1).all()
    assert np.corrcoef(np.log(pred), size)[0, 1] > 0.9
    few = labels.copy()
    few[np.flatnonzero(few == 1)[MIN_POSITIVES - 1 :]] = 0
    assert fit_amount(design, ["region"], few, recovered, seed=1, n_jobs=1) is None
