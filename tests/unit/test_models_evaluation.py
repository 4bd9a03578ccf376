"""Evaluation metrics and score blending on crafted inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from taxloop.models.blend import blend_scores
from taxloop.models.evaluation import (
    average_precision,
    compare_strategies,
    evaluate_ranking,
    precision_at_k,
    recall_at_k,
)


def test_precision_and_recall_at_k() -> None:
    scores = [0.9, 0.8, 0.7, 0.1, 0.05]
    labels = [1, 0, 1, 1, 0]
    assert precision_at_k(scores, labels, 2) == 0.5
    assert precision_at_k(scores, labels, 3) == pytest.approx(2 / 3)
    assert recall_at_k(scores, labels, 3) == pytest.approx(2 / 3)
    assert recall_at_k(scores, labels, 5) == 1.0
    assert precision_at_k(scores, labels, 0) == 0.0


def test_average_precision_perfect_and_worst() -> None:
    assert average_precision([3, 2, 1], [1, 1, 0]) == 1.0
    # positives ranked last: precision at their ranks 1/2 and 2/3
    assert average_precision([3, 2, 1], [0, 1, 1]) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert average_precision([1, 2], [0, 0]) == 0.0


def test_ties_are_broken_by_position() -> None:
    assert precision_at_k([1, 1, 1, 1], [0, 1, 1, 1], 1) == 0.0
    assert precision_at_k([1, 1, 1, 1], [1, 0, 0, 0], 1) == 1.0


def test_evaluate_ranking_lift_money_and_schemes() -> None:
    scores = [5, 4, 3, 2, 1, 0]
    labels = [1, 1, 0, 1, 0, 0]
    money = [100.0, 50.0, 0.0, 30.0, 0.0, 0.0]
    schemes = ["a", "b", None, "a", None, None]
    rep = evaluate_ranking(scores, labels, money, k=2, base_rate=0.25, schemes=schemes)
    assert rep.precision_at_k == 1.0
    assert rep.lift == 4.0
    assert rep.recovered_total == 150.0
    assert rep.recovered_per_task == 75.0
    assert rep.per_scheme_recall == {"a": 0.5, "b": 1.0}
    default = evaluate_ranking(scores, labels, money, k=2)
    assert default.base_rate == 0.5 and default.lift == 2.0
    assert math.isnan(evaluate_ranking(scores, labels, money, k=2, base_rate=0.0).lift)


def test_compare_strategies_side_by_side() -> None:
    labels = np.array([1, 0, 1, 0])
    money = np.array([10.0, 0, 20.0, 0])
    out = compare_strategies({"good": [4, 1, 3, 2], "bad": [1, 4, 2, 3]}, labels, money, k=2)
    assert out["good"].precision_at_k == 1.0 and out["bad"].precision_at_k == 0.0
    assert out["good"].recovered_per_task == 15.0


def test_length_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="differ"):
        evaluate_ranking([1, 2], [1], [0, 0], k=1)


def test_blend_follows_the_scan_rule() -> None:
    expert = [0.0, 0.5, 1.0]
    model = [0.9, 0.1, 0.5]
    assert blend_scores(expert, model, 0.0).tolist() == expert
    assert blend_scores(expert, model, 1.0).tolist() == model
    assert blend_scores(expert, model, 0.3).tolist() == pytest.approx([0.27, 0.38, 0.85])
    with pytest.raises(ValueError, match="calibration"):
        blend_scores([0.0, 2.0], [0.1, 0.2], 0.3)
    with pytest.raises(ValueError):
        blend_scores(expert, model, 1.5)


def test_calibrated_blend_respects_confidence() -> None:
    from taxloop.models.blend import apply_calibration, calibrate

    # flagged (score 2) are found 60% of the time, unflagged 10%
    expert = [0.0] * 10 + [2.0] * 10
    labels = [1] + [0] * 9 + [1] * 6 + [0] * 4
    cal = calibrate(expert, labels)
    assert apply_calibration([0.0, 2.0, 5.0], cal).tolist() == pytest.approx([0.1, 0.6, 0.6])
    # an unflagged taxpayer the model is sure of outranks a flagged one it rules out
    blended = blend_scores([0.0, 2.0], [0.95, 0.02], 0.5, cal)
    assert blended[0] > blended[1]
    assert blended.tolist() == pytest.approx([0.5 * 0.1 + 0.5 * 0.95, 0.5 * 0.6 + 0.5 * 0.02])
