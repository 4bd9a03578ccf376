"""Service functions the CLI (and later the API) call: train, score, retrain against the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.models.blend import blend_scores
from taxloop.models.dataset import aggregate_labels, feature_columns, load_frame, read_outcomes
from taxloop.models.explain import contributions, top_contributions
from taxloop.models.registry import ModelRegistry
from taxloop.models.training import TrainConfig, TrainedModel, train


def registry_for(warehouse_root: Path) -> ModelRegistry:
    """The registry folder of a warehouse."""
    return ModelRegistry(warehouse_root / "models")


def labelled_frame(frame: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Pure: the modelling frame restricted to labelled entities, with the label columns."""
    return frame.merge(labels, on="entity_id", how="inner")


@dataclass(frozen=True)
class TrainOutcome:
    """What a training run produced."""

    version: str
    model: TrainedModel
    labelled: int
    sources: dict[str, int]


def train_from_warehouse(
    backend: AnalyticsBackend, registry: ModelRegistry, cfg: TrainConfig, note: str = ""
) -> TrainOutcome:
    """Build the dataset from the warehouse, train, save a new version (not promoted)."""
    frame = load_frame(backend)
    outcomes = read_outcomes(backend)
    labels = aggregate_labels(outcomes)
    data = labelled_frame(frame, labels)
    if data.empty:
        raise ValueError(
            "no labelled case matches an entity of features_entity (check entity_map / tin) / 无可匹配实体的标签"
        )
    numeric, categorical = feature_columns(frame)
    model = train(data, numeric, categorical, cfg)
    sources = {str(k): int(v) for k, v in outcomes["source"].value_counts().items()}
    version = registry.save(model, cfg, {"label_sources": sources, "note": note})
    return TrainOutcome(version, model, len(data), sources)


def score_frame(
    model: TrainedModel,
    version: str,
    frame: pd.DataFrame,
    explain_ids: set[str] | None,
    top: int,
    p: np.ndarray[Any, Any] | None = None,
    model_share: float = 0.3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``model_scores`` for every entity and ``model_explanations`` for ``explain_ids`` (None = all).

    Besides the interface columns, ``expert_probability`` (calibrated expert score) and
    ``combined_score`` (their blend with ``model_share``) are written for the scan, and with an
    amount model ``predicted_amount`` and ``value_score`` (combined score x amount ** w).
    """
    p = model.predict(frame) if p is None else p
    expert = frame["expert_score"].to_numpy(dtype=np.float64)
    scores = pd.DataFrame({"entity_id": frame["entity_id"].astype(str), "model_score": p, "model_version": version})
    if model.expert_calibration is not None:
        scores["expert_probability"] = model.expert_probability(expert)
        scores["combined_score"] = blend_scores(expert, p, model_share, model.expert_calibration)
        amount = model.predict_amount(frame)
        if amount is not None:
            scores["predicted_amount"] = amount
            scores["value_score"] = model.value(frame, scores["combined_score"].to_numpy())
    mask = frame["entity_id"].isin(explain_ids) if explain_ids is not None else np.ones(len(frame), dtype=bool)
    sub = frame[np.asarray(mask)]
    if sub.empty:
        return scores, top_contributions([], np.zeros((0, len(model.features) + 1)), model.features, sub, top)
    contrib = contributions(model, sub)
    expl = top_contributions(sub["entity_id"].astype(str).tolist(), contrib, model.features, sub, top)
    return scores, expl


def choose_explained(frame: pd.DataFrame, model_score: np.ndarray[Any, Any], explain_top: int) -> set[str]:
    """Entities worth explaining: the ``explain_top`` highest model scores and ``explain_top`` highest expert scores."""
    by_model = np.argsort(-model_score, kind="stable")[:explain_top]
    by_expert = np.argsort(-frame["expert_score"].to_numpy(dtype=np.float64), kind="stable")[:explain_top]
    return set(frame["entity_id"].iloc[np.union1d(by_model, by_expert)].astype(str))


def score_warehouse(
    backend: AnalyticsBackend,
    registry: ModelRegistry,
    version: str | None = None,
    explain_top: int = 5000,
    top: int = 5,
    model_share: float = 0.3,
) -> dict[str, Any]:
    """Score every entity with a model (default: the promoted one); write model_scores and model_explanations."""
    version, model = registry.load(version)
    frame = load_frame(backend)
    missing = [c for c in model.features if c not in frame.columns]
    p = model.predict(frame)
    chosen = choose_explained(frame, p, explain_top)
    scores, expl = score_frame(model, version, frame, chosen, top, p, model_share)
    n_scores = backend.write_arrow("model_scores", pa.Table.from_pandas(scores, preserve_index=False))
    n_expl = backend.write_arrow("model_explanations", pa.Table.from_pandas(expl, preserve_index=False))
    return {"version": version, "scored": n_scores, "explanations": n_expl, "missing_features": missing}
