"""The loop simulation and the side-by-side report on a crafted city."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from models_fixtures import crafted_city

from taxloop.models.dataset import assemble, feature_columns
from taxloop.models.loop import LoopConfig, expert_selection, respond, simulate, summary
from taxloop.models.report import attach_truth, markdown, read_truth, side_by_side
from taxloop.models.training import TrainConfig

FAST = TrainConfig(n_estimators=40, num_leaves=15, min_child_samples=10)


def _world(n: int = 1500) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    city = crafted_city(n)
    hits = city["indicator_hits"].assign(entity_id=lambda d: d["subject_id"], hits=1)
    net = city["network_features"].assign(entity_id=lambda d: d["tin"])
    from taxloop.models.dataset import aggregate_network

    frame = assemble(city["features_entity"], hits, aggregate_network(net))
    numeric, categorical = feature_columns(frame)
    truth = city["truth"].rename(columns={"tin": "entity_id"})
    truth = truth[truth["positive"]].assign(positive=1, scheme="under_reported_sales")
    frame = attach_truth(frame, truth[["entity_id", "positive", "tax_evaded", "scheme"]])
    # history: a quarter of the audits, so the loop has a pool left
    history = city["audit_outcomes"].rename(columns={"tin": "entity_id"}).head(n // 6)
    return frame, history, numeric, categorical


def test_respond_uses_the_oracle() -> None:
    chosen = pd.DataFrame(
        {
            "entity_id": ["a", "b"],
            "positive": [1, 0],
            "tax_evaded": [100.0, 0.0],
            "scheme": ["x", None],
            "recovery_share": [0.8, 0.9],
        }
    )
    out = respond(chosen)
    assert out["finding"].tolist() == ["adjusted", "no_issue"]
    assert out["tax_recovered"].tolist() == [80.0, 0.0]


def test_expert_selection_prefers_levels() -> None:
    pool = pd.DataFrame({"expert_score": [3.0, 2.0, 1.0, 0.0], "expert_level": ["high", "low", "medium", "low"]})
    assert expert_selection(pool, None).tolist() == [0, 2]
    assert expert_selection(pool.drop(columns="expert_level"), 2).tolist() == [0, 1]


def test_loop_learns_and_beats_rules_on_the_same_pool() -> None:
    frame, history, numeric, categorical = _world()
    cfg = LoopConfig(cycles=3, threshold=0.5, random_share=0.02, model_share=0.8, train=FAST)
    rows = simulate(frame, history, numeric, categorical, cfg)
    assert [r["policy"] for r in rows] == ["expert", "model+expert", "model+expert"]
    first, second = rows[0], rows[1]
    assert first["tasks"] == first["expert_tasks"]
    # the model finds the gang members no rule flags and drops the rule's false alarms
    for row in rows[1:]:
        assert row["hit_rate"] > row["expert_hit_rate"]
        assert row["recovered"] > row["expert_recovered"]
    # disjoint cohorts of the same size, none audited before the loop
    assert max(r["pool"] for r in rows) - min(r["pool"] for r in rows) <= 1
    assert sum(r["pool"] for r in rows) == len(frame) - history["entity_id"].nunique()
    assert second["labelled"] > history["entity_id"].nunique()
    s = summary(rows)
    assert s["recovered_change"] > 0 and s["recovered_per_task_change"] > 0


def test_side_by_side_and_markdown(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y = (rng.uniform(size=400) < 0.1).astype(int)
    expert = y * rng.uniform(0, 1, 400) + rng.uniform(0, 0.8, 400)
    model = y * 0.9 + rng.uniform(0, 0.5, 400)
    money = y * 1000.0
    schemes = [("s1" if i % 2 else "s2") if v else None for i, v in enumerate(y)]
    reps = side_by_side(expert / expert.max(), model, y, money, int(y.sum()), 0.5, schemes)
    assert set(reps) == {"expert", "model", "combination"}
    with_cal = side_by_side(expert, model, y, money, 10, 0.5, None, None, ([0.0, 2.0], [0.0, 1.0]))
    assert set(with_cal) == {"expert", "model", "combination_calibrated"}
    assert reps["model"].precision_at_k > reps["expert"].precision_at_k
    text = markdown("t", {"k": 1}, {"k = positives": reps})
    assert "| combination |" in text and "| s1 |" in text


def test_read_truth_maps_and_sums(tmp_path: Path) -> None:
    (tmp_path / "taxpayer_schemes.csv").write_text(
        "tin,true_entity_id,scheme,gang_id,role,tax_evaded\n"
        "001,E1,under_reported_sales,,,100\n001,E1,arrears,,,300\n002,E2,non_filer,,,50\n",
        encoding="utf-8",
    )
    emap = pd.DataFrame({"tin": ["001", "002"], "entity_id": ["X", "X"]})
    truth = read_truth(tmp_path, emap)
    assert truth.to_dict("records") == [{"entity_id": "X", "tax_evaded": 450.0, "scheme": "arrears", "positive": 1}]
    plain = read_truth(tmp_path).set_index("entity_id")
    assert plain.loc["001", "scheme"] == "arrears" and plain.loc["001", "tax_evaded"] == 400.0
    with pytest.raises(FileNotFoundError):
        read_truth(tmp_path / "nope")
