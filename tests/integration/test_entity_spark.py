"""Entity resolution through Splink's SparkAPI (the at-scale path) on crafted registrations."""

from __future__ import annotations

from typing import Any

import pytest

from taxloop.entity.evaluation import pairwise_score
from taxloop.entity.model import ModelOptions
from taxloop.entity.records import prepare_records
from taxloop.entity.resolve import resolve_records
from taxloop.entity.sample import entity_lookup, make_registrations

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_resolve_on_spark(spark_session: Any) -> None:
    taxpayers, changes, truth = make_registrations(200, dup_share=0.2, seed=5)
    chains = list(zip(changes["old_value"].to_pylist(), changes["new_value"].to_pylist(), strict=True))
    records = prepare_records(taxpayers, chains)
    entity_map, _pairs, _model, report = resolve_records(
        records, 0.95, ModelOptions(u_max_pairs=2e4, spark_session=spark_session)
    )
    assert report.backend == "spark" and entity_map.num_rows == len(truth)
    score = pairwise_score(entity_lookup(entity_map), truth)
    assert score.f1 >= 0.95, score
