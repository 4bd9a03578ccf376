"""Training: a scikit-learn pipeline ending in LightGBM, validated on later outcomes.

The labelled entities are split by the date their latest case closed: the earliest
``1 - test_share`` train, the later ones test. Random-sample cases in the test window form the
unbiased test set. Class imbalance is handled by sampling negatives down to a ratio and
``scale_pos_weight``; the probabilities are mapped back to the true class prior, so
``model_score`` reads as a probability of a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.pipeline import Pipeline

from taxloop.models.blend import Calibration, apply_calibration, blend_scores, calibrate
from taxloop.models.dataset import feature_prep
from taxloop.models.evaluation import average_precision, evaluate_ranking
from taxloop.models.recovery import fit_amount, predict_amount, tune_weight, value_score


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters and split of one training run."""

    n_estimators: int = 300
    learning_rate: float = 0.03
    num_leaves: int = 7  # shallow trees: labels are few (a few % of taxpayers audited) and noisy
    min_child_samples: int = 10
    subsample: float = 0.8
    colsample_bytree: float = 0.5
    test_share: float = 0.25
    model_share: float = 0.3
    seed: int = 20261123
    n_jobs: int = 1
    max_bin: int = 127
    negatives_per_positive: float = 8.0


@dataclass
class TrainedModel:
    """A fitted pipeline and everything the registry's model card records."""

    pipeline: Pipeline
    numeric: list[str]
    categorical: list[str]
    pos_weight: float
    metrics: dict[str, Any] = field(default_factory=dict)
    window: dict[str, Any] = field(default_factory=dict)
    importance: list[tuple[str, float]] = field(default_factory=list)
    expert_calibration: Calibration | None = None
    amount: Pipeline | None = None  # regressor of log1p(tax recovered) on positive cases
    value_weight: float = 0.0  # w of P * amount ** w, tuned on the time-split validation fold

    @property
    def features(self) -> list[str]:
        """Feature names in the order the booster sees them."""
        return [*self.numeric, *self.categorical]

    def predict(self, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Probability of a finding (tax adjusted or fraud), corrected for the class weighting."""
        raw = self.pipeline.predict_proba(design_matrix(frame, self.numeric, self.categorical))[:, 1]
        return prior_correct(np.asarray(raw, dtype=np.float64), self.pos_weight)

    def predict_amount(self, frame: pd.DataFrame) -> npt.NDArray[np.float64] | None:
        """Predicted tax recovered if a finding is made (None when no amount model was fitted)."""
        if self.amount is None:
            return None
        return predict_amount(self.amount, design_matrix(frame, self.numeric, self.categorical))

    def value(self, frame: pd.DataFrame, probability: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The value ranking ``probability * amount ** value_weight`` (the probability when no amount model)."""
        amount = self.predict_amount(frame)
        if amount is None:
            return np.asarray(probability, dtype=np.float64)
        return value_score(probability, amount, self.value_weight)

    def expert_probability(self, expert: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """P(finding) of an expert score, from the calibration fitted on the training outcomes."""
        if self.expert_calibration is None:
            raise ValueError("this model carries no expert calibration / 模型未含专家分校准")
        return apply_calibration(expert, self.expert_calibration)


def design_matrix(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """Features in booster order: numerics as float64 (missing = NaN), categoricals as text."""
    n = len(frame)
    cols: dict[str, Any] = {}
    for col in numeric:
        cols[col] = (
            pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            if col in frame.columns
            else np.full(n, np.nan)
        )
    for col in categorical:
        cols[col] = (
            frame[col].astype("object").where(frame[col].notna(), "").astype(str).to_numpy(dtype=object)
            if col in frame.columns
            else np.full(n, "", dtype=object)
        )
    return pd.DataFrame(cols, index=frame.index)


def prior_correct(p: npt.NDArray[np.float64], pos_weight: float) -> npt.NDArray[np.float64]:
    """Undo the prior shift of weighting positives by ``pos_weight``: p / (p + w (1 - p))."""
    return p / (p + pos_weight * (1.0 - p))


def build_pipeline(numeric: list[str], categorical: list[str], cfg: TrainConfig, pos_weight: float) -> Pipeline:
    """``feature_prep`` then LightGBM."""
    prep = feature_prep(numeric, categorical)
    model = LGBMClassifier(
        n_estimators=cfg.n_estimators,
        learning_rate=cfg.learning_rate,
        num_leaves=cfg.num_leaves,
        min_child_samples=cfg.min_child_samples,
        subsample=cfg.subsample,
        subsample_freq=1,
        colsample_bytree=cfg.colsample_bytree,
        scale_pos_weight=pos_weight,
        random_state=cfg.seed,
        n_jobs=cfg.n_jobs,
        max_bin=cfg.max_bin,
        verbose=-1,
    )
    return Pipeline([("prep", prep), ("model", model)])


def time_split(closed_on: pd.Series, test_share: float) -> tuple[npt.NDArray[np.bool_], pd.Timestamp]:
    """Mask of the training rows (cases closed before the cutoff) and the cutoff date."""
    dates = pd.to_datetime(closed_on)
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be in (0, 1), got {test_share}")
    cutoff = pd.Timestamp(dates.quantile(1 - test_share, interpolation="lower"))
    train = np.asarray(dates <= cutoff)
    if train.all() or not train.any():  # every case closed the same day: fall back to order
        order = np.argsort(np.asarray(dates.values), kind="stable")
        train = np.zeros(len(dates), dtype=bool)
        train[order[: round(len(dates) * (1 - test_share))]] = True
    return train, cutoff


def _fit(data: pd.DataFrame, numeric: list[str], categorical: list[str], cfg: TrainConfig) -> tuple[Pipeline, float]:
    """Fit one pipeline; returns it and the prior-shift factor to undo in :func:`prior_correct`.

    Imbalance: when negatives outnumber positives by more than ``negatives_per_positive`` they are
    sampled down to that ratio (seeded), and the positives are up-weighted to balance what is left.
    Both shift the odds; the returned factor ``w / r`` (weight over negative sampling rate) undoes it.
    """
    y = data["label"].to_numpy()
    pos = int(y.sum())
    if pos == 0 or pos == len(y):
        raise ValueError(
            f"training data has {pos} positive and {len(y) - pos} negative cases: both are needed"
            " / 训练数据须同时含正负样本"
        )
    neg = len(y) - pos
    keep_neg = min(neg, max(1, int(pos * cfg.negatives_per_positive)))
    rate = keep_neg / neg
    if keep_neg < neg:
        rng = np.random.default_rng(cfg.seed)
        negatives = np.flatnonzero(y == 0)
        rows = np.sort(np.concatenate([np.flatnonzero(y == 1), rng.choice(negatives, keep_neg, replace=False)]))
        data, y = data.iloc[rows], y[rows]
    weight = keep_neg / pos
    pipe = build_pipeline(numeric, categorical, cfg, weight)
    pipe.fit(design_matrix(data, numeric, categorical), y)
    return pipe, weight / rate


def _test_metrics(model: TrainedModel, test: pd.DataFrame, cfg: TrainConfig) -> dict[str, Any]:
    if test.empty:
        return {}
    y = test["label"].to_numpy()
    p = model.predict(test)
    expert = test["expert_score"].to_numpy(dtype=np.float64)
    k = max(1, int(y.sum()))
    out: dict[str, Any] = {
        "test_rows": len(test),
        "test_positives": int(y.sum()),
        "model": evaluate_ranking(p, y, test["tax_recovered"], k).as_dict(),
        "expert": evaluate_ranking(expert, y, test["tax_recovered"], k).as_dict(),
        "combination": evaluate_ranking(
            blend_scores(expert, p, cfg.model_share, model.expert_calibration),
            y,
            test["tax_recovered"],
            k,
        ).as_dict(),
    }
    if model.amount is not None and model.expert_calibration is not None:
        combined = blend_scores(expert, p, cfg.model_share, model.expert_calibration)
        amount = model.predict_amount(test)
        assert amount is not None
        weight, tried = tune_weight(combined, amount, y, test["tax_recovered"].to_numpy(dtype=np.float64))
        out["value_weight"] = weight
        out["value_weights_tried"] = tried
        out["combination_value"] = evaluate_ranking(
            value_score(combined, amount, weight), y, test["tax_recovered"], k
        ).as_dict()
    rnd = (test["selection"] == "random").to_numpy()
    if rnd.sum() and 0 < y[rnd].sum() < rnd.sum():
        out["random_sample"] = {
            "rows": int(rnd.sum()),
            "positives": int(y[rnd].sum()),
            "auc_pr_model": average_precision(p[rnd], y[rnd]),
            "auc_pr_expert": average_precision(expert[rnd], y[rnd]),
            "base_rate": float(y[rnd].mean()),
        }
    return out


def train(labelled: pd.DataFrame, numeric: list[str], categorical: list[str], cfg: TrainConfig) -> TrainedModel:
    """Fit on the earlier outcomes, measure on the later ones, then refit on all of them.

    ``labelled`` is the modelling frame joined with labels (columns ``label``, ``tax_recovered``,
    ``closed_on``, ``selection``, ``expert_score`` and the features). The card's metrics come from
    the time split; the returned pipeline is the refit on every labelled entity.
    """
    mask, cutoff = time_split(labelled["closed_on"], cfg.test_share)
    early, late = labelled[mask], labelled[~mask]
    pipe, weight = _fit(early, numeric, categorical, cfg)
    held = TrainedModel(pipe, numeric, categorical, weight)
    held.expert_calibration = calibrate(early["expert_score"], early["label"])
    held.amount = _fit_amount(early, numeric, categorical, cfg)
    metrics = _test_metrics(held, late, cfg)
    final_pipe, final_weight = _fit(labelled, numeric, categorical, cfg)
    booster = final_pipe.named_steps["model"].booster_
    gains = booster.feature_importance(importance_type="gain")
    importance = sorted(zip([*numeric, *categorical], map(float, gains), strict=True), key=lambda t: -t[1])
    dates = pd.to_datetime(labelled["closed_on"])
    window = {
        "first_closed_on": str(dates.min().date()),
        "last_closed_on": str(dates.max().date()),
        "test_cutoff": str(cutoff.date()),
        "train_rows": int(mask.sum()),
        "test_rows": int((~mask).sum()),
        "labelled_rows": len(labelled),
        "positives": int(labelled["label"].sum()),
    }
    calibration = calibrate(labelled["expert_score"], labelled["label"])
    final = TrainedModel(final_pipe, numeric, categorical, final_weight, metrics, window, importance[:30], calibration)
    if "value_weight" in metrics:
        final.amount = _fit_amount(labelled, numeric, categorical, cfg)
        final.value_weight = float(metrics["value_weight"])
    return final


def _fit_amount(data: pd.DataFrame, numeric: list[str], categorical: list[str], cfg: TrainConfig) -> Pipeline | None:
    return fit_amount(
        design_matrix(data, numeric, categorical),
        categorical,
        data["label"].to_numpy(dtype=np.float64),
        data["tax_recovered"].to_numpy(dtype=np.float64),
        cfg.seed,
        cfg.n_jobs,
    )
