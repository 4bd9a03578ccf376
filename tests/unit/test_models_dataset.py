"""The dataset builder joins whatever tables exist; features_entity is required."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from models_fixtures import crafted_city

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.models.dataset import (
    DatasetError,
    aggregate_labels,
    aggregate_network,
    assemble,
    feature_columns,
    load_frame,
    read_outcomes,
)


def _backend(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> DuckDBBackend:
    be = DuckDBBackend(Warehouse(tmp_path / "wh").ensure())
    for name, frame in tables.items():
        be.write_arrow(name, pa.Table.from_pandas(frame, preserve_index=False))
    return be


def test_features_entity_is_required(tmp_path: Path) -> None:
    be = _backend(tmp_path, {})
    with pytest.raises(DatasetError, match="features_entity"):
        load_frame(be)
    with pytest.raises(DatasetError, match="audit_outcomes"):
        read_outcomes(be)


def test_features_only(tmp_path: Path) -> None:
    city = crafted_city(50)
    frame = load_frame(_backend(tmp_path, {"features_entity": city["features_entity"]}))
    assert len(frame) == 50
    assert (frame["expert_score"] == 0).all()
    numeric, categorical = feature_columns(frame)
    assert set(numeric) == {"ratio_sales", "noise", "employees"}
    assert categorical == ["region_code", "industry_section", "industry_division"]


def test_everything_joined_and_mapped_through_entity_map(tmp_path: Path) -> None:
    city = crafted_city(60)
    emap = pd.DataFrame({"registration_id": ["r1", "r2"], "tin": ["T-OLD", "E00001"], "entity_id": ["E00001"] * 2})
    outcomes = city["audit_outcomes"].head(3).copy()
    outcomes.loc[outcomes.index[0], "tin"] = "T-OLD"
    be = _backend(
        tmp_path,
        {
            "features_entity": city["features_entity"],
            "indicator_hits": city["indicator_hits"],
            "network_features": city["network_features"],
            "audit_outcomes": outcomes,
            "entity_map": emap,
        },
    )
    frame = load_frame(be)
    assert {"hit__R1", "hits_total", "hits_weight", "net__degree", "net__in_gang", "net__role_source"} <= set(
        frame.columns
    )
    hit_ids = set(city["indicator_hits"]["subject_id"])
    flagged = frame[frame["entity_id"].isin(hit_ids)]
    assert (flagged["expert_score"] == 2.0).all() and (flagged["hit__R1"] == 1).all()
    got = read_outcomes(be)
    assert got["entity_id"].iloc[0] == "E00001"


def test_aggregate_network_takes_max_and_flags() -> None:
    rows = pd.DataFrame(
        {
            "entity_id": ["a", "a", "b"],
            "tin": ["1", "2", "3"],
            "deg": [1, 5, 2],
            "role": ["source", None, None],
            "gang_id": ["g", None, None],
        }
    )
    out = aggregate_network(rows).set_index("entity_id")
    assert out.loc["a", "net__deg"] == 5 and out.loc["a", "net__role_source"] == 1
    assert out.loc["b", "net__in_gang"] == 0


def test_aggregate_labels_any_positive_latest_selection() -> None:
    outcomes = pd.DataFrame(
        {
            "entity_id": ["a", "a", "b"],
            "case_id": ["1", "2", "3"],
            "closed_on": ["2024-01-01", "2024-06-01", "2024-03-01"],
            "selection": ["indicator", "random", "tip_off"],
            "finding": ["fraud", "no_issue", "no_issue"],
            "tax_recovered": [100.0, None, 0.0],
            "scheme": ["x", None, None],
        }
    )
    labels = aggregate_labels(outcomes).set_index("entity_id")
    assert labels.loc["a", "label"] == 1 and labels.loc["a", "selection"] == "random"
    assert labels.loc["a", "tax_recovered"] == 100.0 and labels.loc["a", "cases"] == 2
    assert labels.loc["a", "scheme"] == "x" and labels.loc["b", "label"] == 0


def test_assemble_uses_risk_scores_when_given() -> None:
    city = crafted_city(20)
    expert = pd.DataFrame({"entity_id": ["E00000"], "expert_score": [7.5]})
    frame = assemble(city["features_entity"], None, None, expert)
    assert frame.loc[frame["entity_id"] == "E00000", "expert_score"].item() == 7.5
    assert frame["expert_score"].sum() == 7.5


def test_task_outcomes_flow_back_as_labels(tmp_path: Path) -> None:
    city = crafted_city(40)
    audits = city["audit_outcomes"].head(5)
    tasks = audits.head(2).assign(case_id=["T1", "T2"], task_id=["t1", "t2"], finding="fraud")
    be = _backend(
        tmp_path, {"features_entity": city["features_entity"], "audit_outcomes": audits, "task_outcomes": tasks}
    )
    got = read_outcomes(be)
    assert got["source"].value_counts().to_dict() == {"audit_outcomes": 5, "task_outcomes": 2}
    labels = aggregate_labels(got).set_index("entity_id")
    assert labels.loc[tasks["tin"].iloc[0], "label"] == 1
