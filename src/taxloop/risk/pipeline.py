"""A whole taxpayer scan: features, rules, hits mapped to resolved taxpayers, scores, random sample.

Writes derived ``indicator_hits`` and ``risk_scores`` (replacing the previous scan) and a JSON report
``reports/scan-<scan_id>.json``. Scoring runs in Python on Arrow/pandas so it is the same on every backend.
"""

from __future__ import annotations

import importlib
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.analytics.keys import keys_notice
from taxloop.features.months import months_notice
from taxloop.risk.arrays import is_in, string_array
from taxloop.risk.effectiveness import audit_cases, indicator_report, random_baseline
from taxloop.risk.hitmap import entity_links as entity_links
from taxloop.risk.hitmap import map_hits_at, universe
from taxloop.risk.sampling import stratified_sample
from taxloop.risk.scan import PeriodRange, RuleRun, run_rules
from taxloop.risk.scoring import (
    HitPairs,
    ScoringParams,
    audit_factors,
    combine,
    expert_scores,
    hit_pairs,
    rarity_factors,
)
from taxloop.rules.spec import RuleSpec

SCORE_COLUMNS = [
    "scan_id", "rank", "entity_id", "tins", "score", "expert_score", "model_score", "level",
    "indicators", "selection", "region_code", "industry_code",
]  # fmt: skip


@dataclass
class ScanOutcome:
    """Summary of one scan (also saved as the scan report)."""

    scan_id: str
    rules: list[RuleRun]
    hits: int
    taxpayers: int
    levels: dict[str, int]
    selections: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    weight_factors: dict[str, float] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    features_kept: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def new_scan_id() -> str:
    """A sortable unique scan id, e.g. ``S20261123T170501-3fa2``."""
    return datetime.now(UTC).strftime("S%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:4]


def build_features_if_available(
    backend: AnalyticsBackend,
    specs: Sequence[RuleSpec] | None = None,
    prune: bool = False,
    plan_cache: Path | None = None,
    reuse: bool = False,
    kept: list[str] | None = None,
) -> dict[str, int] | None:
    """Run the feature layer (``taxloop.features``) when that package is installed.

    By default the feature tables ``specs`` read (every table without ``specs``) are built and written to the
    warehouse, where other consumers read them. With ``prune`` (a scan of some chosen rules), only the feature
    columns those rules read are built (``build_pruned``: held by this backend only, the warehouse's full
    tables untouched), so a scan of a few indicators pays neither for the whole layer nor for unused columns;
    its plan is kept in ``plan_cache`` when given (``taxloop.features.plan_cache``). With ``reuse``, the full build
    keeps the tables whose inputs are unchanged since they were written (``taxloop.features.reuse``), appending
    their names to ``kept``.
    """
    try:
        module = importlib.import_module("taxloop.features")
    except ImportError:
        return None
    build = getattr(module, "build_features", None)
    if build is None:
        return None
    if specs is None:
        return dict(build(backend))
    pruned = getattr(module, "build_pruned", None)
    if prune and pruned is not None:
        return dict(pruned(backend, specs, plan_cache))
    return dict(build(backend, tables={t for s in specs for t in s.tables}, reuse=reuse, kept=kept))


def model_scores(backend: AnalyticsBackend) -> pd.DataFrame | None:
    """Latest model score per entity (highest ``model_version``), or None when there is no model."""
    if not backend.has_table("model_scores"):
        return None
    frame = backend.query("SELECT entity_id, model_score, model_version FROM model_scores").to_pandas()
    frame = frame.sort_values(["entity_id", "model_version"]).drop_duplicates("entity_id", keep="last")
    return frame.astype({"entity_id": str}).set_index("entity_id")


def weight_factors(
    backend: AnalyticsBackend,
    hits: pd.DataFrame,
    links: pd.DataFrame,
    taxpayers: int,
    params: ScoringParams,
    pairs: HitPairs | None = None,
) -> dict[str, float]:
    """Per-indicator weight multipliers: rarity in this scan times lift in past audits (when there are any).

    Only the hits of audited taxpayers can count as audited, so only those go through ``indicator_report``;
    every other indicator gets the report's figures for none audited (0 of 0). ``pairs``: ``hit_pairs(hits)``.
    """
    factors = rarity_factors(hits, taxpayers, params.rarity_reference, pairs)
    if backend.has_table("audit_outcomes") and params.calibration_prior > 0 and len(hits):
        audits = backend.query(
            "SELECT tin, opened_on, selection, finding, tax_recovered FROM audit_outcomes"
        ).to_pandas()
        audited = links[is_in(links["tin"], audits["tin"])]
        t2e = dict(zip(audited["tin"].tolist(), audited["entity_id"].tolist(), strict=True))
        cases = audit_cases(audits, t2e)  # once: entities, report and random rate
        subjects = hits[is_in(hits["subject_id"], cases["entity_id"])]
        report = indicator_report(subjects, audits, t2e, cases=cases)
        rate = random_baseline(cases) if len(cases) else None
        if rate is not None:
            missing = sorted(set(hits["code"].dropna().unique()) - set(report["code"]))
            none = pd.DataFrame({"code": missing, "audited": 0, "confirmed": 0, "random_rate": rate})
            report = pd.concat([report[list(none.columns)], none], ignore_index=True) if len(report) else none
        for code, f in audit_factors(report, params.calibration_prior).items():
            factors[code] = factors.get(code, 1.0) * f
    return factors


def code_factors(codes: pd.Series, factors: dict[str, float]) -> np.ndarray:
    """Each row's factor by its code (1.0 for a code without one): one look-up per distinct code."""
    index, names = pd.factorize(codes)
    table = np.array([factors.get(str(c), np.nan) for c in names] + [np.nan], dtype=float)
    found = table[np.where(index >= 0, index, len(names))]
    return np.where(np.isnan(found), 1.0, found)


def _column(values: pd.Series | np.ndarray, blank_is_null: bool) -> pa.Array:
    """A text column as ``pa.Table.from_pandas`` typed an object column: string, or null when nothing is set."""
    array = string_array(values)
    if blank_is_null:
        array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
    return array if array.null_count < len(array) else pa.nulls(len(array))


def score_table(scored: pd.DataFrame, scan_id: str) -> pa.Table:
    """Arrow ``risk_scores`` with the interface's column order and types (empty text is NULL, except in
    ``tins`` and ``indicators``; another text column with no value at all has the null type, as the
    ``pa.Table.from_pandas`` of object columns this replaced gave)."""
    n = len(scored)
    columns: dict[str, pa.Array] = {"scan_id": _column(np.full(n, scan_id, dtype=object), True)}
    for col in SCORE_COLUMNS[1:]:
        if col == "rank":
            columns[col] = pa.array(scored[col].to_numpy(dtype=np.int64))
        elif col in ("score", "expert_score", "model_score"):
            columns[col] = pa.array(scored[col].to_numpy(dtype=float), from_pandas=True)
        elif col in ("tins", "indicators"):  # never NULL; a pandas str column became large_string
            text = _column(scored[col].fillna("").astype(str), False)
            columns[col] = text.cast(pa.large_string()) if n else text
        else:
            columns[col] = _column(scored[col], True)
    return pa.table(columns)


def run_scan(
    backend: AnalyticsBackend,
    specs: Sequence[RuleSpec],
    params: ScoringParams,
    sample_share: float,
    seed: int,
    periods: PeriodRange | None = None,
    scan_id: str | None = None,
    build_features: bool = True,
    progress: bool = True,
    reports_dir: Path | None = None,
    prune_features: bool = False,
    plan_cache: Path | None = None,
    reuse_features: bool = False,
) -> ScanOutcome:
    """Scan taxpayers with ``specs``, store hits and scores, draw the random sample; returns the summary.

    ``prune_features`` (for a scan of rules chosen by the user) builds only the feature columns they read, in
    the backend's memory, instead of writing the feature tables (``build_features_if_available``; its plan kept
    in the folder ``plan_cache`` when given). ``reuse_features`` keeps the feature tables whose inputs are unchanged
    since the last build (``taxloop.features.reuse``; listed in ``features_kept``)."""
    scan_id = scan_id or new_scan_id()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    notices: list[str] = []
    kept: list[str] = []
    if build_features:
        # what the feature layer is about to do about keys, else about the month table
        if (notice := keys_notice(backend) or months_notice(backend)) is not None:
            notices.append(notice)
        build_features_if_available(
            backend, specs, prune=prune_features, plan_cache=plan_cache, reuse=reuse_features, kept=kept
        )
        if kept:
            notices.append(
                f"feature tables kept from the last build, their inputs unchanged / 输入未变、沿用上次的特征表: "
                f"{', '.join(kept)} (--rebuild-features builds them anew / 重新计算)"
            )
    seconds["features"] = time.perf_counter() - started
    started = time.perf_counter()
    result = run_rules(backend, specs, scan_id, periods, progress)
    seconds["rules"] = time.perf_counter() - started
    started = time.perf_counter()
    links = entity_links(backend)
    base = universe(links)  # sorted ids: each hit's position among them comes with the mapping (no entity map)
    mapped, at = map_hits_at(result.hits, links, string_array(base.index))
    backend.write_arrow("indicator_hits", mapped)
    hits = mapped.select(["code", "subject_id", "weight", "severity"]).to_pandas()
    groups = {s.code: s.correlation_group for s in specs}
    pairs = hit_pairs(hits, at, base.index)  # the (taxpayer, indicator) pairs, for rarity and the expert scores
    factors = weight_factors(backend, hits, links, len(base), params, pairs)
    weighted = hits.assign(weight=hits["weight"] * code_factors(hits["code"], factors)) if len(hits) else hits
    expert = expert_scores(weighted, groups, params, pairs)
    if pairs.positions is None:  # subjects without a registration still get a row
        extra = expert.index.difference(base.index)
        if len(extra):
            base = pd.concat([base, pd.DataFrame(index=pd.Index(extra, name="entity_id"), data={"tins": ""})])
    scored = combine(base, expert, model_scores(backend), params, pairs.positions)
    pool = scored[scored["selection"] == ""]
    drawn = stratified_sample(pool, sample_share, seed)
    scored.loc[drawn, "selection"] = "random"
    backend.write_arrow("risk_scores", score_table(scored, scan_id))
    seconds["scoring"] = time.perf_counter() - started
    outcome = ScanOutcome(
        scan_id=scan_id,
        rules=result.runs,
        hits=len(hits),
        taxpayers=len(scored),
        levels={k: int(v) for k, v in scored["level"].value_counts().items()},
        selections={(k or "none"): int(v) for k, v in scored["selection"].value_counts().items()},
        seconds={k: round(v, 3) for k, v in seconds.items()},
        weight_factors={k: round(v, 3) for k, v in sorted(factors.items())},
        notices=notices,
        features_kept=kept,
    )
    if reports_dir is not None:
        reports_dir.mkdir(parents=True, exist_ok=True)
        (reports_dir / f"scan-{scan_id}.json").write_text(outcome.to_json(), encoding="utf-8")
    return outcome
