"""Scoring and grading: combine indicator hits per resolved taxpayer into a score and a level.

Per taxpayer and indicator the strength is ``weight x severity factor x (1 + repeat_bonus x ln(hits))``
(an indicator firing in many periods counts more, with diminishing returns). Indicators of one
``correlation_group`` measure the same thing: sorted by strength, the i-th of a group is multiplied by
``decay**i``. The group sums add up to the raw expert score, mapped onto 0..1 by
``1 - exp(-raw / scale)``. When a model score exists it is blended in with ``model_share``.
Levels come from two thresholds; selection says why a taxpayer is on the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from taxloop.risk.arrays import join_at, join_runs, join_unique

SEVERITY_FACTOR = {"high": 1.0, "medium": 0.6, "low": 0.3}


@dataclass(frozen=True)
class ScoringParams:
    """Tunables of the score (see ``taxloop.config.Settings``)."""

    scale: float = 2.0
    high: float = 0.6
    medium: float = 0.3
    decay: float = 0.5
    repeat_bonus: float = 0.2
    model_share: float = 0.3
    model_select_threshold: float = 0.5
    rarity_reference: float = 0.01
    calibration_prior: float = 10.0
    severity: Mapping[str, float] = field(default_factory=lambda: dict(SEVERITY_FACTOR))

    def __post_init__(self) -> None:
        if self.medium > self.high:
            raise ValueError(f"medium threshold {self.medium} above high threshold {self.high}")


def _first(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """First non-NaN of ``values`` in each run ``values[starts[i]:starts[i + 1]]`` (pandas ``first`` of a group:
    NaN when there is none), by a search among the non-NaN positions instead of a group-by."""
    valid = np.flatnonzero(~np.isnan(values))
    ends = np.r_[starts[1:], len(values)]
    at = np.minimum(np.searchsorted(valid, starts), max(len(valid) - 1, 0))
    position = valid[at] if len(valid) else np.zeros(len(starts), dtype=np.int64)
    found = (position >= starts) & (position < ends) if len(valid) else np.zeros(len(starts), dtype=bool)
    return np.where(found, values[position] if len(valid) else np.nan, np.nan)


@dataclass(frozen=True)
class HitPairs:
    """The distinct (subject, indicator code) pairs of a hits frame as integer codes, built once by ``hit_pairs``
    for ``rarity_factors`` and ``expert_scores`` (which then need no string work of their own).

    ``rows`` marks the hits with a subject and a code; ``order`` sorts those by pair (stably), ``starts`` are
    where each pair begins in that order and ``n`` its hits. ``subjects`` and ``names`` are the sorted distinct
    subjects and codes (``names``: of every hit with a code, with a subject or not)."""

    rows: np.ndarray
    subjects: pd.Index
    names: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    pair_subject: np.ndarray
    pair_code: np.ndarray
    n: np.ndarray
    positions: np.ndarray | None = None


def _subjects(
    hits: pd.DataFrame, rows: np.ndarray, at: np.ndarray | None, entities: pd.Index | None
) -> tuple[np.ndarray, pd.Index, np.ndarray | None]:
    """Codes of the subjects of ``rows`` in their sorted distinct values, those values, and where those are in
    ``entities`` (sorted, distinct; ``at`` each hit's position in them) when every subject is among them (no
    string sort then), else None."""
    if at is not None and entities is not None and len(at) == len(hits) and not (at[rows] < 0).any():
        used = np.zeros(len(entities), dtype=bool)
        used[at[rows]] = True
        return (np.cumsum(used) - 1)[at[rows]], entities[used], np.flatnonzero(used)
    subject, subjects = pd.factorize(hits["subject_id"][rows], sort=True)
    return subject, subjects, None


def hit_pairs(hits: pd.DataFrame, at: np.ndarray | None = None, entities: pd.Index | None = None) -> HitPairs:
    """``HitPairs`` of ``hits`` (``subject_id, code``); the same for any frame with those rows (e.g. reweighted).

    ``at`` (``map_hits_at``) is each hit's position among the sorted distinct ``entities`` (-1: not there); the
    pairs then have ``positions``, where their subjects are in ``entities``."""
    code, codes = pd.factorize(hits["code"], sort=True)
    rows = (hits["subject_id"].notna() & hits["code"].notna()).to_numpy()
    subject, subjects, positions = _subjects(hits, rows, at, entities)
    names = np.asarray(codes, dtype=object)
    key = subject.astype(np.int64) * max(len(names), 1) + code[rows]
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]]) if len(key) else order
    pair_key = key_sorted[starts]
    return HitPairs(
        rows=rows,
        subjects=pd.Index(subjects, name="entity_id"),
        names=names,
        order=order,
        starts=starts,
        pair_subject=pair_key // max(len(names), 1),
        pair_code=pair_key % max(len(names), 1),
        n=np.diff(np.r_[starts, len(key_sorted)]),
        positions=positions,
    )


def expert_scores(
    hits: pd.DataFrame, groups: Mapping[str, str | None], params: ScoringParams, pairs: HitPairs | None = None
) -> pd.DataFrame:
    """Raw expert score and fired codes per subject from hits (``subject_id, code, weight, severity``).

    Vectorised on integer codes of the sorted subjects and indicator codes (no string group-bys); the sums
    run in the order the per-group pandas code used, so the scores are bit-identical to it. ``pairs`` is
    ``hit_pairs`` of these hits' rows when the caller has it already.
    """
    pairs = hit_pairs(hits) if pairs is None else pairs
    if not pairs.rows.any():
        return pd.DataFrame({"expert_raw": pd.Series(dtype=float), "indicators": pd.Series(dtype=str)}).rename_axis(
            "entity_id"
        )
    names, n = pairs.names, pairs.n
    order = np.flatnonzero(pairs.rows)[pairs.order]  # hits rows in pair order
    pair_subject, pair_code = pairs.pair_subject, pairs.pair_code
    text = pa.array(names, type=pa.string())
    weight = _first(hits["weight"].to_numpy(dtype=float, na_value=np.nan)[order], pairs.starts)
    sev_code, sev_names = pd.factorize(hits["severity"])
    sev_first = _first(np.where(sev_code[order] >= 0, sev_code[order], np.nan), pairs.starts)
    factor = np.array([dict(params.severity).get(s, np.nan) for s in sev_names] + [np.nan], dtype=float)
    sev = factor[np.where(np.isnan(sev_first), len(sev_names), sev_first).astype(np.int64)]
    sev = np.where(np.isnan(sev), 1.0, sev)
    strength = weight * sev * (1.0 + params.repeat_bonus * np.log(n))
    labels = [(groups.get(c) or f"_{c}") if c in groups else f"_{c}" for c in names]
    label_rank = pd.factorize(pd.Series(labels, dtype=object), sort=True)[0]
    group = label_rank[pair_code]
    ranked = np.lexsort((pair_code, -strength, group, pair_subject))
    block = pair_subject[ranked] * (int(label_rank.max()) + 1) + group[ranked]
    first_of_block = np.r_[True, block[1:] != block[:-1]]
    positions = np.arange(len(ranked))
    pos = positions - np.maximum.accumulate(np.where(first_of_block, positions, 0))
    contrib = strength[ranked] * np.power(params.decay, pos)
    raw = pd.Series(contrib).groupby(pair_subject[ranked], sort=True).sum()
    offsets = np.searchsorted(pair_subject, np.arange(len(pairs.subjects) + 1))  # every subject has a pair
    indicators = join_runs(text.take(pa.array(pair_code)), offsets).to_pandas().array
    return pd.DataFrame({"expert_raw": raw.to_numpy(), "indicators": indicators}, index=pairs.subjects)


def rarity_factors(
    hits: pd.DataFrame, taxpayers: int, reference: float, pairs: HitPairs | None = None
) -> dict[str, float]:
    """Per indicator, ``min(1, ln(1/p) / ln(1/reference))`` with p the share of taxpayers it flags (counted on
    ``pairs``, ``hit_pairs`` of the hits, when given).

    An indicator that flags half the city tells little about any one taxpayer (factor ~0.15 with the
    default reference 1 %); one that flags at most ``reference`` keeps its full weight. 0 disables.
    """
    if hits.empty or taxpayers <= 0 or not 0 < reference < 1:
        return {}
    pairs = hit_pairs(hits) if pairs is None else pairs
    codes = pairs.names  # nunique per code (0 for a code whose hits have no subject)
    flagged = pd.Series(np.bincount(pairs.pair_code, minlength=len(codes)), index=pd.Index(codes, dtype=object))
    share = (flagged / taxpayers).clip(upper=1.0)
    factor = np.minimum(1.0, np.log(1.0 / share.clip(lower=1e-12)) / np.log(1.0 / reference))
    return {str(k): float(max(v, 0.05)) for k, v in factor.items()}


def audit_factors(report: pd.DataFrame, prior: float) -> dict[str, float]:
    """Per indicator, its lift over random audits, shrunk towards 1 with ``prior`` pseudo-cases.

    ``report`` is ``taxloop.risk.effectiveness.indicator_report`` output (``code, audited, confirmed,
    random_rate``). Indicators never audited keep factor 1; ``prior <= 0`` disables.
    """
    if report.empty or prior <= 0 or "random_rate" not in report:
        return {}
    base = report["random_rate"].dropna()
    if base.empty or float(base.iloc[0]) <= 0:
        return {}
    rate = float(base.iloc[0])
    shrunk = (report["confirmed"] + prior * rate) / (report["audited"] + prior) / rate
    return {str(c): float(f) for c, f in zip(report["code"], shrunk, strict=True)}


def grade(score: pd.Series, params: ScoringParams) -> pd.Series:
    """Level of each score: high, medium or low (as objects, looked up by a level code: no string array)."""
    level = np.where(score >= params.high, 2, np.where(score >= params.medium, 1, 0))
    return pd.Series(np.array(["low", "medium", "high"], dtype=object)[level], index=score.index, dtype=object)


def combine(
    universe: pd.DataFrame,
    expert: pd.DataFrame,
    model: pd.DataFrame | None,
    params: ScoringParams,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """One row per resolved taxpayer of ``universe`` (indexed by entity_id) with scores, level, selection.

    ``model`` (optional) is indexed by entity_id with ``model_score`` (0..1) and ``model_version``.
    The result is sorted by rank (1 = riskiest); ``selection`` is ``indicator``, ``model`` or empty
    (random sampling is applied afterwards to the empty ones). ``rows``, when known, is where each expert
    row's taxpayer is in ``universe`` (``HitPairs.positions``): no look-up of the ids then.
    """
    frame = join_unique(universe, expert) if rows is None else join_at(universe, expert, rows)
    frame["expert_raw"] = frame["expert_raw"].fillna(0.0)
    frame["indicators"] = frame["indicators"].fillna("")
    frame["expert_score"] = 1.0 - np.exp(-frame["expert_raw"] / params.scale)
    if model is not None and not model.empty:
        frame = frame.join(model[["model_score", "model_version"]], how="left")
        blended = (1 - params.model_share) * frame["expert_score"] + params.model_share * frame["model_score"]
        frame["score"] = blended.where(frame["model_score"].notna(), frame["expert_score"])
        fired = frame["model_score"].fillna(-1.0) >= params.model_select_threshold
        tag = "MODEL:" + frame["model_version"].fillna("").astype(str)
        frame.loc[fired, "indicators"] = np.where(
            frame.loc[fired, "indicators"] == "", tag[fired], frame.loc[fired, "indicators"] + ";" + tag[fired]
        )
    else:
        frame["model_score"] = np.nan
        frame["score"] = frame["expert_score"]
        fired = pd.Series(False, index=frame.index)
    frame["level"] = grade(frame["score"], params)
    has_hits = frame["expert_raw"] > 0
    choice = pa.array(np.where(has_hits, 1, np.where(fired, 2, 0)))  # taken as Arrow text: no str conversion
    frame["selection"] = pa.array(["", "indicator", "model"]).take(choice).to_pandas().array
    frame = frame.rename_axis("entity_id").reset_index()
    if universe.index.is_monotonic_increasing:  # rows in entity_id order: sort by position (1M: -0.9 s)
        score, raw = frame["score"].to_numpy(dtype=float), frame["expert_raw"].to_numpy(dtype=float)
        frame = frame.take(np.lexsort((np.arange(len(frame)), -raw, -score)))
    else:
        frame = frame.sort_values(["score", "expert_raw", "entity_id"], ascending=[False, False, True], kind="stable")
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame.drop(columns=[c for c in ("model_version",) if c in frame.columns]).reset_index(drop=True)
