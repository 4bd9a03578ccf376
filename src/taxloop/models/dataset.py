"""Build the modelling frame: one row per resolved taxpayer, features from every table that exists.

``features_entity`` is required; ``indicator_hits``, ``network_features``, ``risk_scores`` and
``entity_map`` are joined when present. Labels come from ``audit_outcomes`` and ``task_outcomes``.
The SQL readers return plain pandas frames; :func:`assemble` and :func:`aggregate_labels` are pure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OrdinalEncoder

from taxloop.analytics.backend import AnalyticsBackend

ID = "entity_id"
HIT_PREFIX = "hit__"
NET_PREFIX = "net__"
CATEGORICAL = ("region_code", "industry_section", "industry_division")
NON_FEATURES = {
    ID,
    "tin",
    "tins",
    "expert_score",
    "region_code",
    "industry_code",
    "label",
    "tax_recovered",
    "positive",
    "tax_evaded",
    "recovery_share",
    "cases",
    "model_score",
    "rank",
    "score",
}
POSITIVE_FINDINGS = ("adjusted", "fraud")


class DatasetError(ValueError):
    """The warehouse lacks what the models need (names the table and column)."""


def _columns(backend: AnalyticsBackend, table: str) -> list[str]:
    return list(backend.query(f'SELECT * FROM "{table}" LIMIT 0').column_names)


def _entity_join(backend: AnalyticsBackend) -> tuple[str, str]:
    """(JOIN clause, entity expression) mapping ``o.tin`` to entity_id via entity_map when present."""
    if backend.has_table("entity_map"):
        join = " LEFT JOIN (SELECT tin, min(entity_id) AS entity_id FROM entity_map GROUP BY tin) m ON m.tin = o.tin"
        return join, "coalesce(m.entity_id, o.tin)"
    return "", "o.tin"


def read_features(backend: AnalyticsBackend) -> pd.DataFrame:
    """``features_entity`` as a frame (required table; clear error when absent)."""
    if not backend.has_table("features_entity"):
        raise DatasetError(
            "table features_entity is missing: run the feature layer first"
            " / 缺少实体特征表 features_entity，请先生成特征"
        )
    cols = _columns(backend, "features_entity")
    if ID not in cols:
        raise DatasetError(f"features_entity has no column {ID!r} (columns: {cols}) / 实体特征表缺少 entity_id 列")
    frame: pd.DataFrame = backend.query("SELECT * FROM features_entity").to_pandas()
    return frame


def read_hits(backend: AnalyticsBackend) -> pd.DataFrame | None:
    """Hits of the latest scan: ``entity_id, code, hits, weight`` (None when the scan has not run)."""
    if not backend.has_table("indicator_hits"):
        return None
    sql = (
        "SELECT CAST(subject_id AS VARCHAR) AS entity_id, code, count(*) AS hits, "
        "sum(coalesce(weight, 1.0)) AS weight FROM indicator_hits "
        "WHERE scan_id = (SELECT max(scan_id) FROM indicator_hits) GROUP BY ALL"
    )
    frame: pd.DataFrame = backend.query(sql).to_pandas()
    return frame


def read_expert(backend: AnalyticsBackend) -> pd.DataFrame | None:
    """``entity_id, expert_score[, expert_level]`` from the latest ``risk_scores`` (None when absent)."""
    if not backend.has_table("risk_scores"):
        return None
    cols = _columns(backend, "risk_scores")
    score = "expert_score" if "expert_score" in cols else "score"
    level = ", min(level) AS expert_level" if "level" in cols else ""
    sql = (
        f"SELECT CAST(entity_id AS VARCHAR) AS entity_id, max(CAST({score} AS DOUBLE)) AS expert_score{level} "
        "FROM risk_scores WHERE scan_id = (SELECT max(scan_id) FROM risk_scores) GROUP BY 1"
    )
    frame: pd.DataFrame = backend.query(sql).to_pandas()
    return frame


def read_network(backend: AnalyticsBackend) -> pd.DataFrame | None:
    """Network features aggregated per entity (numeric max, role flags, gang membership)."""
    if not backend.has_table("network_features"):
        return None
    frame: pd.DataFrame = backend.query("SELECT * FROM network_features").to_pandas()
    if "tin" not in frame.columns:
        raise DatasetError("network_features has no column 'tin' / 网络特征表缺少 tin 列")
    if backend.has_table("entity_map"):
        emap = backend.query("SELECT DISTINCT tin, entity_id FROM entity_map").to_pandas()
        frame = frame.merge(emap.drop_duplicates("tin"), on="tin", how="left")
        frame[ID] = frame[ID].fillna(frame["tin"])
    else:
        frame[ID] = frame["tin"]
    return aggregate_network(frame)


def aggregate_network(frame: pd.DataFrame) -> pd.DataFrame:
    """Pure: per-entity network features from per-TIN rows (``entity_id`` column present)."""
    out = pd.DataFrame({ID: frame[ID].astype(str)})
    for col in frame.columns:
        if col in (ID, "tin", "role", "gang_id") or col.startswith("_"):
            continue
        if pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
            out[NET_PREFIX + col] = frame[col].astype(float)
    if "role" in frame.columns:
        for role in ("source", "pass_through", "recipient"):
            out[f"{NET_PREFIX}role_{role}"] = (frame["role"] == role).astype(float)
    if "gang_id" in frame.columns:
        out[f"{NET_PREFIX}in_gang"] = frame["gang_id"].notna().astype(float)
    grouped: pd.DataFrame = out.groupby(ID, as_index=False).max()
    return grouped


def assemble(
    features: pd.DataFrame,
    hits: pd.DataFrame | None = None,
    network: pd.DataFrame | None = None,
    expert: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pure: join feature sources into one row per entity with numeric features and categoricals.

    Hit counts become ``hit__<CODE>`` columns plus ``hits_total``/``hits_weight``; the expert score
    comes from ``risk_scores`` when given, else the sum of hit weights (0 for unflagged taxpayers).
    """
    frame = features.copy()
    frame[ID] = frame[ID].astype(str)
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("_")]).drop_duplicates(ID)
    if "industry_code" in frame.columns:
        code = frame["industry_code"].astype("string").fillna("")
        frame["industry_section"] = code.str[:1]
        frame["industry_division"] = code.str[:3]
    if hits is not None and len(hits):
        wide = hits.pivot_table(index=ID, columns="code", values="hits", aggfunc="sum", fill_value=0)
        wide.columns = [f"{HIT_PREFIX}{c}" for c in wide.columns]
        totals = hits.groupby(ID).agg(hits_total=("hits", "sum"), hits_weight=("weight", "sum"))
        frame = frame.merge(wide.join(totals).reset_index(), on=ID, how="left")
        hit_cols = [c for c in frame.columns if c.startswith(HIT_PREFIX)] + ["hits_total", "hits_weight"]
        frame[hit_cols] = frame[hit_cols].fillna(0.0)
    if network is not None and len(network):
        frame = frame.merge(network, on=ID, how="left")
    if expert is not None and len(expert):
        frame = frame.merge(expert, on=ID, how="left")
        frame["expert_score"] = frame["expert_score"].fillna(0.0)
    else:
        frame["expert_score"] = frame["hits_weight"] if "hits_weight" in frame.columns else 0.0
    return frame.reset_index(drop=True)


def feature_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns of an assembled frame (ids and scores excluded)."""
    numeric = [
        c
        for c in frame.columns
        if c not in NON_FEATURES
        and c not in CATEGORICAL
        and (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
    ]
    categorical = [c for c in CATEGORICAL if c in frame.columns]
    return numeric, categorical


def read_outcomes(backend: AnalyticsBackend) -> pd.DataFrame:
    """Every case outcome (``audit_outcomes`` and ``task_outcomes``) with the entity it concerns."""
    parts = []
    for table in ("audit_outcomes", "task_outcomes"):
        if not backend.has_table(table):
            continue
        join, ent = _entity_join(backend)
        parts.append(
            f"SELECT CAST({ent} AS VARCHAR) AS entity_id, CAST(o.case_id AS VARCHAR) AS case_id, "
            "CAST(o.closed_on AS DATE) AS closed_on, o.selection, o.finding, "
            f"CAST(o.tax_recovered AS DOUBLE) AS tax_recovered, o.scheme, '{table}' AS source FROM {table} o{join}"
        )
    if not parts:
        raise DatasetError(
            "no labels: neither audit_outcomes nor task_outcomes is loaded"
            " / 无标签：缺少 audit_outcomes 与 task_outcomes"
        )
    frame: pd.DataFrame = backend.query(" UNION ALL ".join(parts)).to_pandas()
    return frame


def aggregate_labels(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Pure: one label row per entity — positive if any case found tax; latest case sets time and selection."""
    data = outcomes.copy()
    data["closed_on"] = pd.to_datetime(data["closed_on"])
    data["label"] = data["finding"].isin(POSITIVE_FINDINGS).astype(np.int8)
    data = data.sort_values(["entity_id", "closed_on", "case_id"])
    grouped = data.groupby("entity_id", sort=True)
    labels = pd.DataFrame(
        {
            "label": grouped["label"].max(),
            "tax_recovered": grouped["tax_recovered"].sum(min_count=1).fillna(0.0),
            "closed_on": grouped["closed_on"].max(),
            "selection": grouped["selection"].last(),
            "scheme": grouped["scheme"].agg(lambda s: s.dropna().iloc[-1] if s.notna().any() else None),
            "cases": grouped["case_id"].count(),
        }
    ).reset_index()
    return labels


def load_frame(backend: AnalyticsBackend) -> pd.DataFrame:
    """The assembled modelling frame for every entity in ``features_entity``."""
    return assemble(read_features(backend), read_hits(backend), read_network(backend), read_expert(backend))


def feature_prep(numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """Numeric columns passed through, categoricals ordinal-encoded (unknown and missing as -1)."""
    return ColumnTransformer(
        [
            ("num", "passthrough", numeric),
            (
                "cat",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1),
                categorical,
            ),
        ],
        verbose_feature_names_out=False,
    )
