"""Why two registration records are (or are not) one taxpayer: comparison levels and match weights.

The explanation reads the saved model (``reports/entity_model.json``): for each comparison the level
the pair fell in, its m and u probabilities and its weight ``log2(m/u)``; the prior weight plus the
level weights is the pair's match weight (Fellegi-Sunter, as Splink scores it).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.entity.model import COMPARISON_LABELS
from taxloop.entity.resolve import MODEL_FILE
from taxloop.sqltext import lit


class LevelExplanation(BaseModel):
    """One comparison of a pair."""

    comparison: str
    label_en: str
    label_zh: str
    level: str
    gamma: int
    m_probability: float | None
    u_probability: float | None
    match_weight: float


class PairExplanation(BaseModel):
    """The whole decision for one pair."""

    registration_id_l: str
    registration_id_r: str
    prior_weight: float
    match_weight: float
    match_probability: float
    levels: list[LevelExplanation]
    same_entity: bool | None = None


def _levels(comparison: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """gamma value -> level dict (null level -1; the others count down to 0)."""
    levels = comparison["comparison_levels"]
    non_null = [lv for lv in levels if not lv.get("is_null_level")]
    out: dict[int, dict[str, Any]] = {}
    for lv in levels:
        if lv.get("is_null_level"):
            out[-1] = lv
    for pos, lv in enumerate(non_null):
        out[len(non_null) - 1 - pos] = lv
    return out


def explain_gammas(model: dict[str, Any], gammas: dict[str, int]) -> tuple[float, list[LevelExplanation]]:
    """Prior weight and per-comparison explanations for a pair's gamma values (pure)."""
    p = float(model["probability_two_random_records_match"])
    prior = math.log2(p / (1 - p))
    out: list[LevelExplanation] = []
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        gamma = int(gammas.get(name, -1))
        level = _levels(comparison).get(gamma, {})
        m, u = level.get("m_probability"), level.get("u_probability")
        weight = 0.0 if level.get("is_null_level") or not m or not u else math.log2(m / u)
        en, zh = COMPARISON_LABELS.get(name, (name, name))
        out.append(
            LevelExplanation(
                comparison=name,
                label_en=en,
                label_zh=zh,
                level=str(level.get("label_for_charts") or level.get("sql_condition") or "?"),
                gamma=gamma,
                m_probability=m,
                u_probability=u,
                match_weight=round(weight, 4),
            )
        )
    return prior, out


def load_model(reports_dir: Path) -> dict[str, Any]:
    """The model saved by the last ``taxloop resolve``."""
    path = reports_dir / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `taxloop resolve` first / 请先运行实体识别")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def explain_pair(backend: AnalyticsBackend, reports_dir: Path, left: str, right: str) -> PairExplanation:
    """Explain a scored pair from ``entity_pairs`` (either order of the two registration ids)."""
    model = load_model(reports_dir)
    if not backend.has_table("entity_pairs"):
        raise ValueError("entity_pairs is absent: run `taxloop resolve` first / 请先运行实体识别")
    a, b = lit(left), lit(right)
    rows: pa.Table = backend.query(
        f"SELECT * FROM entity_pairs WHERE (registration_id_l = {a} AND registration_id_r = {b}) "
        f"OR (registration_id_l = {b} AND registration_id_r = {a})"
    )
    if rows.num_rows == 0:
        raise ValueError(
            f"pair {left} / {right} was not scored above the pair floor (different blocks or low weight); "
            "这两条记录未成为候选对"
        )
    row = rows.to_pylist()[0]
    gammas = {k[len("gamma_") :]: int(v) for k, v in row.items() if k.startswith("gamma_") and v is not None}
    prior, levels = explain_gammas(model, gammas)
    same = None
    if backend.has_table("entity_map"):
        ents = backend.query(
            f"SELECT count(DISTINCT entity_id) AS n FROM entity_map WHERE registration_id IN ({a}, {b})"
        ).to_pylist()
        same = ents[0]["n"] == 1
    return PairExplanation(
        registration_id_l=str(row["registration_id_l"]),
        registration_id_r=str(row["registration_id_r"]),
        prior_weight=round(prior, 4),
        match_weight=round(float(row["match_weight"]), 4),
        match_probability=float(row["match_probability"]),
        levels=levels,
        same_entity=same,
    )
