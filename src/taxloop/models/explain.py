"""Explanations: SHAP contributions of each feature to a taxpayer's model score, put in words (zh/en).

Contributions are exact TreeSHAP values computed by LightGBM (``pred_contrib=True``) on the
pipeline's transformed features, in log-odds units. Feature names become words through the data
file ``feature_text.yaml`` (exact names and prefix families).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from taxloop import yamlfile
from taxloop.models.training import TrainedModel, design_matrix


@dataclass(frozen=True)
class FeatureText:
    """Human names of model features, looked up exact name first, then the longest prefix."""

    exact: dict[str, dict[str, str]]
    prefix: dict[str, dict[str, str]]

    def label(self, feature: str, lang: str) -> str:
        """The feature's name in ``lang`` (``zh`` or ``en``)."""
        if feature in self.exact:
            return self.exact[feature][lang]
        for pre in sorted(self.prefix, key=len, reverse=True):
            if feature.startswith(pre):
                return self.prefix[pre][lang].format(rest=feature[len(pre) :].replace("_", " ").strip())
        return feature.replace("_", " ")


@lru_cache(maxsize=1)
def load_feature_text() -> FeatureText:
    """Read the packaged ``feature_text.yaml`` (cached)."""
    text = resources.files("taxloop.models").joinpath("feature_text.yaml").read_text(encoding="utf-8")
    data = yamlfile.safe_load(text) or {}
    return FeatureText(exact=dict(data.get("exact") or {}), prefix=dict(data.get("prefix") or {}))


def contributions(model: TrainedModel, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """TreeSHAP matrix (rows x (features + 1)); the last column is the expected value (bias)."""
    prep = model.pipeline.named_steps["prep"]
    booster = model.pipeline.named_steps["model"].booster_
    x = prep.transform(design_matrix(frame, model.numeric, model.categorical))
    return np.asarray(booster.predict(np.asarray(x, dtype=np.float64), pred_contrib=True), dtype=np.float64)


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        number = float(value)
        if np.isnan(number):
            return "—"
        return f"{number:,.0f}" if abs(number) >= 1000 else f"{number:.3g}"
    return str(value)


def sentence(feature: str, value: Any, contribution: float, texts: FeatureText) -> tuple[str, str]:
    """The zh and en sentence for one contribution, e.g. ``命中指标 X 的次数 = 3，风险上升 0.84``."""
    zh_dir = "风险上升" if contribution >= 0 else "风险下降"
    en_dir = "raises the risk by" if contribution >= 0 else "lowers the risk by"
    shown = _fmt(value)
    return (
        f"{texts.label(feature, 'zh')} = {shown}，{zh_dir} {abs(contribution):.2f}",
        f"{texts.label(feature, 'en')} = {shown} {en_dir} {abs(contribution):.2f} (log-odds)",
    )


def top_contributions(
    entity_ids: list[str],
    contrib: npt.NDArray[np.float64],
    features: list[str],
    values: pd.DataFrame,
    top: int = 5,
    texts: FeatureText | None = None,
) -> pd.DataFrame:
    """Pure: the ``top`` largest positive contributions per entity as ``model_explanations`` rows.

    Columns: ``entity_id, rank, feature, value, contribution, text_zh, text_en``. When a taxpayer has
    no positive contribution its largest (least negative) one is kept so every row is explained.
    """
    texts = texts or load_feature_text()
    feats = contrib[:, : len(features)]
    order = np.argsort(-feats, axis=1, kind="stable")[:, :top]
    rows: list[dict[str, Any]] = []
    value_matrix = values[features].to_numpy(dtype=object)
    for i, eid in enumerate(entity_ids):
        for rank, j in enumerate(order[i], start=1):
            c = float(feats[i, j])
            if c <= 0 and rank > 1:
                break
            zh, en = sentence(features[j], value_matrix[i, j], c, texts)
            rows.append(
                {
                    "entity_id": eid,
                    "rank": rank,
                    "feature": features[j],
                    "value": _fmt(value_matrix[i, j]),
                    "contribution": c,
                    "text_zh": zh,
                    "text_en": en,
                }
            )
    return pd.DataFrame(rows, columns=["entity_id", "rank", "feature", "value", "contribution", "text_zh", "text_en"])
