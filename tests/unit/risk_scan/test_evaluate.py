"""Evaluation against the truth and indicator effectiveness against audits, on crafted frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from taxloop.risk.effectiveness import EffectivenessParams, indicator_report
from taxloop.risk.evaluate import TruthError, evaluate, read_truth_schemes
from taxloop.rules.spec import RuleSpec

IDS = [f"E{i:02d}" for i in range(20)]


def _spec(code: str, schemes: list[str]) -> RuleSpec:
    return RuleSpec.model_validate(
        {"code": code, "name_zh": "测试", "name_en": "Test", "description": "a test rule", "category": "vat",
         "subject": "taxpayer", "severity": "low", "tables": ["t"], "version": 1, "owner": "t",
         "status": "active", "schemes": schemes,
         "sql": "SELECT 1 AS subject_id, 1 AS period, 1 AS value, 1 AS threshold, 1 AS evidence"}
    )  # fmt: skip


def test_precision_at_k_recall_and_lift() -> None:
    scores = pd.DataFrame({"scan_id": "S1", "entity_id": IDS, "rank": range(1, 21)})
    # planted: E00, E01, E02 (scheme a, via TINs T00.. mapped to entities), E10 (scheme b)
    truth = pd.DataFrame({"tin": ["T00", "T01", "T02", "T10"], "scheme": ["a", "a", "a", "b"]})
    t2e = {f"T{i:02d}": f"E{i:02d}" for i in range(20)}
    hits = pd.DataFrame({"subject_id": ["E00", "E01", "E03", "E10"], "code": ["XXX", "XXX", "XXX", "YYY"]})
    result = evaluate(scores, hits, truth, t2e, [_spec("XXX", ["a"]), _spec("YYY", ["b"])])
    assert result.k == 4 and result.planted == 4
    assert result.precision_at_k == pytest.approx(3 / 4)  # top 4 = E00..E03
    assert result.baseline == pytest.approx(4 / 20)
    assert result.lift_at_k == pytest.approx(3.75)
    assert result.recall == pytest.approx(3 / 4)
    a, b = result.schemes
    assert (a.scheme, a.planted, a.recall, a.recall_at_k) == ("a", 3, pytest.approx(2 / 3), 1.0)
    assert (a.best_indicator, a.targeted_precision) == ("XXX", pytest.approx(2 / 3))
    assert (b.recall, b.recall_at_k, b.targeted_lift) == (1.0, 0.0, pytest.approx(20.0))
    assert result.targets_met() == {"recall[a]>=0.8": False, "recall[b]>=0.8": True, "lift_at_k>=5.0": False}


def test_truth_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(TruthError, match=r"taxpayer_schemes\.csv"):
        read_truth_schemes(tmp_path)
    (tmp_path / "taxpayer_schemes.csv").write_text("tin,x\n1,2\n", encoding="utf-8")
    with pytest.raises(TruthError, match="scheme"):
        read_truth_schemes(tmp_path)


def _audits() -> pd.DataFrame:
    rows = []
    # random audits: 2023 -> 1 of 4 confirmed, 2024 -> 1 of 4 confirmed (baseline 0.25 each year)
    for year in (2023, 2024):
        for i in range(4):
            rows.append((f"R{year}{i}", f"T9{i}", f"{year}-03-01", "random", "adjusted" if i == 0 else "no_issue", 0))
    # indicator X: good (3 of 3 confirmed each year); Y: bad (0 of 3 each year)
    for year in (2023, 2024):
        for i in range(3):
            rows.append((f"X{year}{i}", f"T0{i}", f"{year}-05-01", "indicator", "fraud", 100))
            rows.append((f"Y{year}{i}", f"T1{i}", f"{year}-05-01", "indicator", "no_issue", 0))
    return pd.DataFrame(rows, columns=["case_id", "tin", "opened_on", "selection", "finding", "tax_recovered"])


def test_effectiveness_hit_rate_lift_and_retirement() -> None:
    hits = pd.DataFrame(
        {"code": ["X", "X", "X", "Y", "Y", "Y", "Y"], "subject_id": ["T00", "T01", "T02", "T10", "T11", "T12", "T13"]}
    )
    t2e = {}
    report = indicator_report(hits, _audits(), t2e, {"T00", "T01"}, 40, EffectivenessParams()).set_index("code")
    assert report.loc["X", "hit_rate"] == 1.0 and report.loc["Y", "hit_rate"] == 0.0
    assert report.loc["X", "random_rate"] == pytest.approx(0.25)
    assert report.loc["X", "lift"] == pytest.approx(4.0)
    assert report.loc["X", "tax_per_hit"] == pytest.approx(200.0)  # two cases of 100 per taxpayer
    assert not report.loc["X", "retire"] and report.loc["Y", "retire"]
    assert report.loc["Y", "hits"] == 4 and report.loc["Y", "audited"] == 3
    assert report.loc["X", "truth_precision"] == pytest.approx(2 / 3)
    assert report.loc["X", "truth_lift"] == pytest.approx((2 / 3) / (2 / 40))


def test_one_cycle_is_not_enough_to_retire() -> None:
    audits = _audits()
    audits = audits[audits["opened_on"].str.startswith("2024")]
    hits = pd.DataFrame({"code": ["Y"] * 3, "subject_id": ["T10", "T11", "T12"]})
    report = indicator_report(hits, audits, {}, None, 0)
    assert not report.loc[0, "retire"]
