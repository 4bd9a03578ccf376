"""Training with a time split, the registry on disk, scoring with SHAP explanations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from models_fixtures import crafted_city

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.models.dataset import assemble
from taxloop.models.explain import contributions, load_feature_text, sentence, top_contributions
from taxloop.models.registry import ModelRegistry, RegistryError
from taxloop.models.service import registry_for, score_warehouse, train_from_warehouse
from taxloop.models.training import TrainConfig, design_matrix, prior_correct, time_split

FAST = TrainConfig(n_estimators=60, num_leaves=15, min_child_samples=10)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models") / "wh"
    be = DuckDBBackend(Warehouse(root).ensure())
    city = crafted_city(1200)
    for name in ("features_entity", "indicator_hits", "network_features", "audit_outcomes"):
        be.write_arrow(name, pa.Table.from_pandas(city[name], preserve_index=False))
    be.close()
    return root


def test_time_split_trains_on_earlier_cases() -> None:
    dates = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D"))
    train, cutoff = time_split(dates, 0.25)
    assert train.sum() == 75 and dates[train].max() <= cutoff < dates[~train].min()
    same = pd.Series([pd.Timestamp("2024-01-01")] * 8)
    mask, _ = time_split(same, 0.25)
    assert mask.sum() == 6
    with pytest.raises(ValueError):
        time_split(dates, 1.0)


def test_prior_correction_undoes_weighting() -> None:
    # a weighted model that says 0.5 when positives were up-weighted 9x means 0.1 in truth
    assert prior_correct(np.array([0.5]), 9.0)[0] == pytest.approx(0.1)
    assert prior_correct(np.array([0.3]), 1.0)[0] == pytest.approx(0.3)


def test_train_score_explain_and_registry(warehouse: Path) -> None:
    be = DuckDBBackend(Warehouse(warehouse))
    reg = registry_for(warehouse)
    out = train_from_warehouse(be, reg, FAST)
    assert out.version == "v0001" and reg.versions() == ["v0001"]
    card = reg.card("v0001")
    assert {"ratio_sales", "hit__R1", "net__in_gang"} <= set(card["features"])
    assert card["training_window"]["train_rows"] > card["training_window"]["test_rows"] > 0
    m = card["metrics"]
    # the network-only gang signal lets the model beat the single expert rule on later cases
    assert m["model"]["auc_pr"] > m["expert"]["auc_pr"]
    assert m["model"]["auc_pr"] > 0.8
    assert m["combination"]["auc_pr"] > m["expert"]["auc_pr"]
    assert "random_sample" in m
    for name in ("model.joblib", "model.txt", "card.json", "card.md"):
        assert (warehouse / "models" / "v0001" / name).is_file()
    assert "Model card" in (warehouse / "models" / "v0001" / "card.md").read_text(encoding="utf-8")
    with pytest.raises(RegistryError):
        score_warehouse(be, reg)  # nothing promoted yet
    reg.promote("v0001")
    res = score_warehouse(be, reg, explain_top=50, top=3)
    assert res["scored"] == 1200 and res["missing_features"] == []
    scores = be.query("SELECT * FROM model_scores").to_pandas()
    assert scores["model_score"].between(0, 1).all() and set(scores["model_version"]) == {"v0001"}
    expl = be.query("SELECT * FROM model_explanations").to_pandas()
    assert list(expl.columns[:3]) == ["entity_id", "rank", "feature"]
    assert expl.groupby("entity_id")["rank"].max().max() <= 3
    assert expl["text_zh"].str.len().gt(0).all() and expl["text_en"].str.contains("risk").all()
    be.close()


def test_shap_contributions_sum_to_the_raw_score(warehouse: Path) -> None:
    be = DuckDBBackend(Warehouse(warehouse))
    reg = ModelRegistry(warehouse / "models")
    if not reg.versions():
        train_from_warehouse(be, reg, FAST)
    _, model = reg.load(reg.versions()[-1])
    frame = be.query("SELECT * FROM features_entity LIMIT 30").to_pandas()
    frame = assemble(frame)
    contrib = contributions(model, frame)
    raw = model.pipeline.predict_proba(design_matrix(frame, model.numeric, model.categorical))[:, 1]
    logit = contrib.sum(axis=1)
    assert np.allclose(1 / (1 + np.exp(-logit)), raw, atol=1e-6)
    be.close()


def test_registry_promote_and_errors(tmp_path: Path) -> None:
    reg = ModelRegistry(tmp_path / "models")
    assert reg.versions() == [] and reg.next_version() == "v0001" and reg.promoted() is None
    with pytest.raises(RegistryError, match="unknown"):
        reg.promote("v0009")


def test_top_contributions_words() -> None:
    texts = load_feature_text()
    assert texts.label("hit__VAT_SALES_GAP", "en") == "hits of indicator VAT SALES GAP"
    assert texts.label("hits_total", "zh") == "命中疑点指标次数合计"
    assert texts.label("some_new_feature", "en") == "some new feature"
    zh, en = sentence("hits_total", 3.0, 0.84, texts)
    assert "风险上升 0.84" in zh and "raises the risk by 0.84" in en
    values = pd.DataFrame({"a": [1.0, 2.0], "b": [5.0, 6.0]})
    contrib = np.array([[0.5, -0.2, 0.1], [-0.3, -0.1, 0.0]])
    rows = top_contributions(["x", "y"], contrib, ["a", "b"], values, top=2, texts=texts)
    # x: only the positive one; y: no positive, so its largest (least negative) is kept
    assert rows[["entity_id", "feature"]].values.tolist() == [["x", "a"], ["y", "b"]]


def test_negative_sampling_keeps_probabilities_calibrated() -> None:
    from taxloop.models.training import train

    rng = np.random.default_rng(1)
    n = 6000
    x = rng.uniform(0, 1, n)
    y = (rng.uniform(0, 1, n) < np.where(x > 0.5, 0.2, 0.02)).astype(int)
    data = pd.DataFrame(
        {
            "x": x,
            "label": y,
            "tax_recovered": y * 10.0,
            "expert_score": 0.0,
            "selection": "random",
            "closed_on": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 300, n), unit="D"),
        }
    )
    cfg = TrainConfig(
        n_estimators=40,
        learning_rate=0.1,
        num_leaves=4,
        min_child_samples=50,
        colsample_bytree=1.0,
        negatives_per_positive=2.0,
    )
    model = train(data, ["x"], [], cfg)
    p = model.predict(data)
    # mean predicted probability per half matches the true rates despite 1:2 sampling and weighting
    assert p[x > 0.5].mean() == pytest.approx(0.2, abs=0.05)
    assert p[x <= 0.5].mean() == pytest.approx(0.02, abs=0.015)
