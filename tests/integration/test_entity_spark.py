"""Entity resolution through Splink's Spark backend (local mode) agrees with DuckDB on crafted registrations."""

from __future__ import annotations

import pytest

from taxloop.entity.evaluation import pairwise_score
from taxloop.entity.model import ModelOptions
from taxloop.entity.records import prepare_records
from taxloop.entity.resolve import resolve_records
from taxloop.entity.sample import entity_lookup, make_registrations

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_resolution_finishes_with_the_duckdb_result(spark_session) -> None:  # type: ignore[no-untyped-def]
    taxpayers, changes, truth = make_registrations(200, dup_share=0.15, seed=11)
    pairs = list(zip(changes["old_value"].to_pylist(), changes["new_value"].to_pylist(), strict=True))
    records = prepare_records(taxpayers, pairs)
    spark_map, _, _, spark_report = resolve_records(
        records, 0.95, ModelOptions(u_max_pairs=1e4, seed=3, spark_session=spark_session)
    )
    duck_map, _, _, _ = resolve_records(records, 0.95, ModelOptions(u_max_pairs=1e4, seed=3))
    spark_score = pairwise_score(entity_lookup(spark_map), truth)
    print(f"Spark resolve: {spark_report.records} records -> {spark_report.entities} entities; {spark_score}")
    assert spark_report.backend == "spark" and spark_map.num_rows == len(truth)
    assert spark_score.true_pairs > 20
    assert spark_score.f1 >= 0.95, spark_score
    assert spark_score.f1 >= pairwise_score(entity_lookup(duck_map), truth).f1 - 0.02
