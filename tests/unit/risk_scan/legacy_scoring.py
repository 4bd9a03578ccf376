"""The scoring-phase functions as they were before session 3 (verbatim), kept only to pin the vectorised
replacements in ``taxloop.risk.hitmap``, ``scoring`` and ``sampling`` to the same results (test_fast_scoring.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.risk.effectiveness import CONFIRMED, indicator_report
from taxloop.risk.pipeline import SCORE_COLUMNS
from taxloop.risk.sampling import allocate
from taxloop.risk.scoring import ScoringParams, audit_factors


def join_by_key(keys: list[str], values: list[str], sep: str = ";") -> pd.Series:
    """``sep``-joined values per key, for rows already sorted by key (fast: no per-group pandas objects)."""
    out: dict[str, str] = {}
    for key, group in itertools.groupby(zip(keys, values, strict=True), key=lambda kv: kv[0]):
        out[key] = sep.join(v for _, v in group)
    return pd.Series(out, dtype=object)


def universe(links: pd.DataFrame) -> pd.DataFrame:
    """One row per resolved taxpayer: ``tins`` (sorted, ``;``), smallest region and industry codes."""
    links = links.sort_values(["entity_id", "tin"])
    grouped = links.groupby("entity_id", sort=True)
    frame = pd.DataFrame({"region_code": grouped["region_code"].min(), "industry_code": grouped["industry_code"].min()})
    pairs = links.drop_duplicates(["entity_id", "tin"])
    counts = pairs.groupby("entity_id", sort=True)["tin"].transform("size")
    tins = pairs.loc[counts == 1].set_index("entity_id")["tin"]  # most taxpayers: one TIN, no string joins
    several = pairs.loc[counts > 1]
    multi = join_by_key(several["entity_id"].tolist(), several["tin"].tolist())
    frame["tins"] = pd.concat([tins, multi]).reindex(frame.index)
    frame["industry_section"] = frame["industry_code"].fillna("").astype(str).str[:1]
    return frame


def map_hits(hits: pa.Table, links: pd.DataFrame) -> pd.DataFrame:
    """Hits with ``subject_id`` as resolved taxpayer and ``tin`` filled where one registration is meant."""
    frame = hits.to_pandas()
    if frame.empty or links.empty:
        return frame
    tin_to_entity = links.drop_duplicates("tin").set_index("tin")["entity_id"]
    single = links.drop_duplicates(["entity_id", "tin"]).groupby("entity_id")["tin"]
    only_tin = single.first()[single.size() == 1]
    is_tin = frame["subject_id"].isin(tin_to_entity.index)
    frame.loc[frame["tin"].isna() & is_tin, "tin"] = frame["subject_id"]
    frame["subject_id"] = frame["subject_id"].map(tin_to_entity).fillna(frame["subject_id"])
    frame["tin"] = frame["tin"].fillna(frame["subject_id"].map(only_tin))
    return frame


def expert_scores(hits: pd.DataFrame, groups: Mapping[str, str | None], params: ScoringParams) -> pd.DataFrame:
    """Raw expert score and fired codes per subject from hits (``subject_id, code, weight, severity``)."""
    if hits.empty:
        return pd.DataFrame({"expert_raw": pd.Series(dtype=float), "indicators": pd.Series(dtype=str)}).rename_axis(
            "entity_id"
        )
    per = (
        hits.groupby(["subject_id", "code"], sort=False)
        .agg(n=("code", "size"), weight=("weight", "first"), severity=("severity", "first"))
        .reset_index()
    )
    sev = per["severity"].map(dict(params.severity)).fillna(1.0).astype(float)
    per["strength"] = per["weight"].astype(float) * sev * (1.0 + params.repeat_bonus * np.log(per["n"]))
    per["group"] = per["code"].map({c: g or f"_{c}" for c, g in groups.items()}).fillna("_" + per["code"])
    per = per.sort_values(["subject_id", "group", "strength", "code"], ascending=[True, True, False, True])
    per["pos"] = per.groupby(["subject_id", "group"], sort=False).cumcount()
    per["contrib"] = per["strength"] * np.power(params.decay, per["pos"])
    raw = per.groupby("subject_id")["contrib"].sum()
    ordered = per.sort_values(["subject_id", "code"])
    codes = join_by_key(ordered["subject_id"].tolist(), ordered["code"].tolist())
    out = pd.DataFrame({"expert_raw": raw, "indicators": codes})
    out.index.name = "entity_id"
    return out


def stratified_sample(
    pool: pd.DataFrame,
    share: float,
    seed: int,
    id_column: str = "entity_id",
    strata: Sequence[str] = ("region_code", "industry_section"),
) -> pd.Index:
    """Index labels of the rows drawn from ``pool`` (one row per candidate)."""
    if pool.empty or share <= 0:
        return pd.Index([])
    stratum = pd.Series("", index=pool.index, dtype=object)
    for col in strata:
        stratum = stratum + "|" + pool[col].fillna("").astype(str)
    frame = pool[[id_column]].assign(_stratum=stratum)
    frame = frame.sort_values(["_stratum", id_column], kind="stable")
    members = [group.index for _, group in frame.groupby("_stratum", sort=True)]
    counts = allocate([len(m) for m in members], share)
    rng = np.random.default_rng(seed)
    chosen: list[object] = []
    for index, count in zip(members, counts, strict=True):
        if count > 0:
            picked = rng.choice(len(index), size=count, replace=False)
            chosen.extend(index[np.sort(picked)])
    return pd.Index(chosen)


def weight_factors(
    backend: AnalyticsBackend, hits: pd.DataFrame, links: pd.DataFrame, taxpayers: int, params: ScoringParams
) -> dict[str, float]:
    """Per-indicator weight multipliers: rarity in this scan times lift in past audits (when there are any)."""
    factors = rarity_factors(hits, taxpayers, params.rarity_reference)
    if backend.has_table("audit_outcomes") and params.calibration_prior > 0 and len(hits):
        audits = backend.query(
            "SELECT tin, opened_on, selection, finding, tax_recovered FROM audit_outcomes"
        ).to_pandas()
        t2e = dict(zip(links["tin"], links["entity_id"], strict=True))
        for code, f in audit_factors(indicator_report(hits, audits, t2e), params.calibration_prior).items():
            factors[code] = factors.get(code, 1.0) * f
    return factors


def rarity_factors(hits: pd.DataFrame, taxpayers: int, reference: float) -> dict[str, float]:
    """Per indicator, ``min(1, ln(1/p) / ln(1/reference))`` with p the share of taxpayers it flags.

    An indicator that flags half the city tells little about any one taxpayer (factor ~0.15 with the
    default reference 1 %); one that flags at most ``reference`` keeps its full weight. 0 disables.
    """
    if hits.empty or taxpayers <= 0 or not 0 < reference < 1:
        return {}
    share = (hits.groupby("code")["subject_id"].nunique() / taxpayers).clip(upper=1.0)
    factor = np.minimum(1.0, np.log(1.0 / share.clip(lower=1e-12)) / np.log(1.0 / reference))
    return {str(k): float(max(v, 0.05)) for k, v in factor.items()}


def score_table(scored: pd.DataFrame, scan_id: str) -> pa.Table:
    """Arrow ``risk_scores`` with the interface's column order and types."""
    out = scored.assign(scan_id=scan_id)[SCORE_COLUMNS]
    out = out.astype({"rank": "int64", "score": float, "expert_score": float, "model_score": float})
    for col in ("scan_id", "entity_id", "tins", "level", "indicators", "selection", "region_code", "industry_code"):
        out[col] = out[col].astype(object).where(out[col].notna() & (out[col] != ""), None)
    out["tins"] = scored["tins"].fillna("").astype(str).to_numpy()
    out["indicators"] = scored["indicators"].fillna("").astype(str).to_numpy()
    return pa.Table.from_pandas(out, preserve_index=False)


def audit_cases(audits: pd.DataFrame, tin_to_entity: Mapping[str, str]) -> pd.DataFrame:
    """``taxloop.risk.effectiveness._cases`` before session 11 (a Python look-up per audit)."""
    frame = audits.copy()
    frame["entity_id"] = frame["tin"].astype(str).map(lambda t: tin_to_entity.get(t, t))
    frame["confirmed"] = frame["finding"].isin(CONFIRMED)
    frame["tax_recovered"] = pd.to_numeric(frame["tax_recovered"], errors="coerce").fillna(0.0)
    frame["cycle"] = pd.to_datetime(frame["opened_on"], errors="coerce").dt.year
    return frame
