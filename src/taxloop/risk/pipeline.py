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

import pandas as pd
import pyarrow as pa

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.risk.effectiveness import indicator_report
from taxloop.risk.sampling import stratified_sample
from taxloop.risk.scan import HIT_SCHEMA, PeriodRange, RuleRun, run_rules
from taxloop.risk.scoring import (
    ScoringParams,
    audit_factors,
    combine,
    expert_scores,
    join_by_key,
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

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def new_scan_id() -> str:
    """A sortable unique scan id, e.g. ``S20261123T170501-3fa2``."""
    return datetime.now(UTC).strftime("S%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:4]


def build_features_if_available(
    backend: AnalyticsBackend, specs: Sequence[RuleSpec] | None = None
) -> dict[str, int] | None:
    """Run the feature layer (``taxloop.features``) when that package is installed.

    Without ``specs``, or when they cover every active rule of the packaged library, every feature table is
    built and written to the warehouse (other consumers read them). With a subset of rules, only the feature
    columns those rules read are built (``build_pruned``: held by this backend only, the warehouse's full
    tables untouched), so a scan of a few indicators pays neither for the whole layer nor for unused columns.
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
    if pruned is not None:
        from taxloop.risk.library import load_library

        if not {s.code for s in load_library()} <= {s.code for s in specs}:
            return dict(pruned(backend, specs))
    return dict(build(backend, tables={t for s in specs for t in s.tables}))


def entity_links(backend: AnalyticsBackend) -> pd.DataFrame:
    """``tin, entity_id, region_code, industry_code`` per registration (entity_id = tin before resolution)."""
    if not backend.has_table("taxpayers"):
        return pd.DataFrame(columns=["tin", "entity_id", "region_code", "industry_code"])
    if backend.has_table("entity_map"):
        sql = (
            "SELECT t.tin, COALESCE(m.entity_id, t.tin) AS entity_id, t.region_code, t.industry_code"
            " FROM taxpayers t LEFT JOIN entity_map m ON m.registration_id = t.registration_id"
        )
    else:
        sql = "SELECT tin, tin AS entity_id, region_code, industry_code FROM taxpayers"
    frame = backend.query(sql).to_pandas()
    return frame.astype({"tin": str, "entity_id": str})


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


def model_scores(backend: AnalyticsBackend) -> pd.DataFrame | None:
    """Latest model score per entity (highest ``model_version``), or None when there is no model."""
    if not backend.has_table("model_scores"):
        return None
    frame = backend.query("SELECT entity_id, model_score, model_version FROM model_scores").to_pandas()
    frame = frame.sort_values(["entity_id", "model_version"]).drop_duplicates("entity_id", keep="last")
    return frame.astype({"entity_id": str}).set_index("entity_id")


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


def score_table(scored: pd.DataFrame, scan_id: str) -> pa.Table:
    """Arrow ``risk_scores`` with the interface's column order and types."""
    out = scored.assign(scan_id=scan_id)[SCORE_COLUMNS]
    out = out.astype({"rank": "int64", "score": float, "expert_score": float, "model_score": float})
    for col in ("scan_id", "entity_id", "tins", "level", "indicators", "selection", "region_code", "industry_code"):
        out[col] = out[col].astype(object).where(out[col].notna() & (out[col] != ""), None)
    out["tins"] = scored["tins"].fillna("").astype(str).to_numpy()
    out["indicators"] = scored["indicators"].fillna("").astype(str).to_numpy()
    return pa.Table.from_pandas(out, preserve_index=False)


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
) -> ScanOutcome:
    """Scan taxpayers with ``specs``, store hits and scores, draw the random sample; returns the summary."""
    scan_id = scan_id or new_scan_id()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if build_features:
        build_features_if_available(backend, specs)
    seconds["features"] = time.perf_counter() - started
    started = time.perf_counter()
    result = run_rules(backend, specs, scan_id, periods, progress)
    seconds["rules"] = time.perf_counter() - started
    started = time.perf_counter()
    links = entity_links(backend)
    hits = map_hits(result.hits, links)
    backend.write_arrow("indicator_hits", pa.Table.from_pandas(hits, schema=HIT_SCHEMA, preserve_index=False))
    groups = {s.code: s.correlation_group for s in specs}
    base = universe(links)
    factors = weight_factors(backend, hits, links, len(base), params)
    weighted = hits.assign(weight=hits["weight"] * hits["code"].map(factors).fillna(1.0)) if len(hits) else hits
    expert = expert_scores(weighted, groups, params)
    extra = expert.index.difference(base.index)  # subjects without a registration still get a row
    if len(extra):
        base = pd.concat([base, pd.DataFrame(index=pd.Index(extra, name="entity_id"), data={"tins": ""})])
    scored = combine(base, expert, model_scores(backend), params)
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
    )
    if reports_dir is not None:
        reports_dir.mkdir(parents=True, exist_ok=True)
        (reports_dir / f"scan-{scan_id}.json").write_text(outcome.to_json(), encoding="utf-8")
    return outcome
