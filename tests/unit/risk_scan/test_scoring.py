"""Scores combine hits with weights, diminishing returns in a correlation group, levels and a model blend."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from taxloop.risk.scoring import ScoringParams, audit_factors, combine, expert_scores, grade, rarity_factors


def _hits(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["subject_id", "code", "weight", "severity"])


def _universe(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"tins": ids, "region_code": "R1", "industry_code": "C1"}, index=pd.Index(ids, name="entity_id")
    )


def test_correlated_indicators_give_diminishing_returns() -> None:
    params = ScoringParams(decay=0.5, repeat_bonus=0.0)
    hits = _hits([("A", "X", 1.0, "high"), ("A", "Y", 1.0, "high"), ("B", "X", 1.0, "high"), ("B", "Z", 1.0, "high")])
    raw = expert_scores(hits, {"X": "g", "Y": "g", "Z": None}, params)["expert_raw"]
    assert raw["A"] == pytest.approx(1.5)  # X and Y measure the same thing
    assert raw["B"] == pytest.approx(2.0)  # X and Z are independent


def test_weight_severity_and_repeats() -> None:
    params = ScoringParams(repeat_bonus=0.2)
    hits = _hits([("A", "X", 2.0, "medium")] * 3 + [("B", "X", 2.0, "low")])
    raw = expert_scores(hits, {}, params)["expert_raw"]
    assert raw["A"] == pytest.approx(2.0 * 0.6 * (1 + 0.2 * math.log(3)))
    assert raw["B"] == pytest.approx(2.0 * 0.3)


def test_levels_and_ranks() -> None:
    params = ScoringParams(scale=2.0, high=0.6, medium=0.3)
    hits = _hits([("A", "X", 3.0, "high"), ("B", "X", 1.0, "high"), ("C", "X", 0.5, "low")])
    scored = combine(_universe(["A", "B", "C", "D"]), expert_scores(hits, {}, params), None, params)
    assert scored["entity_id"].tolist() == ["A", "B", "C", "D"]
    assert scored["rank"].tolist() == [1, 2, 3, 4]
    assert scored["level"].tolist() == ["high", "medium", "low", "low"]
    assert scored["selection"].tolist() == ["indicator", "indicator", "indicator", ""]
    assert scored.loc[0, "score"] == pytest.approx(1 - math.exp(-1.5))
    assert grade(pd.Series([0.6, 0.59, 0.3, 0.0]), params).tolist() == ["high", "medium", "medium", "low"]


def test_model_score_is_blended_and_can_select() -> None:
    params = ScoringParams(model_share=0.5, model_select_threshold=0.7)
    hits = _hits([("A", "X", 1.0, "high")])
    model = pd.DataFrame(
        {"model_score": [0.2, 0.9], "model_version": ["v1", "v1"]}, index=pd.Index(["A", "B"], name="entity_id")
    )
    scored = combine(_universe(["A", "B", "C"]), expert_scores(hits, {}, params), model, params).set_index("entity_id")
    expert_a = 1 - math.exp(-0.5)
    assert scored.loc["A", "score"] == pytest.approx(0.5 * expert_a + 0.5 * 0.2)
    assert scored.loc["B", "score"] == pytest.approx(0.45)
    assert scored.loc["B", "selection"] == "model" and scored.loc["B", "indicators"] == "MODEL:v1"
    assert scored.loc["C", "score"] == 0.0 and scored.loc["C", "selection"] == ""


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="medium threshold"):
        ScoringParams(high=0.2, medium=0.5)


def test_rarity_factor_discounts_indicators_that_flag_many() -> None:
    hits = _hits([(f"E{i}", "WIDE", 1.0, "high") for i in range(50)] + [("E1", "RARE", 1.0, "high")])
    factors = rarity_factors(hits, taxpayers=100, reference=0.01)
    assert factors["RARE"] == 1.0
    assert factors["WIDE"] == pytest.approx(math.log(2) / math.log(100))
    assert rarity_factors(hits, 100, 0.0) == {}


def test_audit_factor_is_the_shrunk_lift() -> None:
    report = pd.DataFrame(
        {"code": ["GOOD", "BAD", "NEW"], "audited": [10, 10, 0], "confirmed": [10, 0, 0], "random_rate": 0.25}
    )
    factors = audit_factors(report, prior=10.0)
    assert factors["GOOD"] == pytest.approx((10 + 2.5) / 20 / 0.25)
    assert factors["BAD"] == pytest.approx(2.5 / 20 / 0.25)
    assert factors["NEW"] == pytest.approx(1.0)
    assert audit_factors(report, prior=0) == {}
