"""Entity resolution end to end on crafted registrations with known duplicates (DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.entity.evaluation import pairwise_score
from taxloop.entity.explain import explain_pair
from taxloop.entity.model import ModelOptions
from taxloop.entity.resolve import resolve
from taxloop.entity.sample import entity_lookup, make_registrations


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[DuckDBBackend, Warehouse, dict[str, str]]:
    wh = Warehouse(tmp_path_factory.mktemp("wh")).ensure()
    taxpayers, changes, truth = make_registrations(400, dup_share=0.15, seed=11)
    for name, table in (("taxpayers", taxpayers), ("taxpayer_changes", changes)):
        wh.table_dir(name).mkdir(parents=True)
        pq.write_table(table, wh.table_dir(name) / "part-0.parquet")
    backend = DuckDBBackend(wh)
    resolve(backend, wh.reports, threshold=0.95, options=ModelOptions(u_max_pairs=1e5, seed=3))
    return backend, wh, truth


def test_every_record_gets_an_entity_and_f1_is_high(resolved: tuple[DuckDBBackend, Warehouse, dict[str, str]]) -> None:
    backend, _, truth = resolved
    em = backend.query("SELECT * FROM entity_map")
    assert em.num_rows == len(truth)
    score = pairwise_score(entity_lookup(em), truth)
    assert score.true_pairs > 30
    assert score.f1 >= 0.95, score


def test_report_and_model_are_saved(resolved: tuple[DuckDBBackend, Warehouse, dict[str, str]]) -> None:
    _, wh, truth = resolved
    import json

    report = json.loads((wh.reports / "resolve.json").read_text(encoding="utf-8"))
    assert report["records"] == len(truth) and report["entities"] + report["merged_records"] == len(truth)
    assert "legal_rep_id" in report["comparisons"] and report["threshold"] == 0.95
    blocking = report["blocking_comparisons"]  # the guard's counts, per prediction blocking rule
    assert blocking["name_norm"] > 0 and blocking["tin_root"] > 0 and max(blocking.values()) < 10 * len(truth)
    assert (wh.reports / "entity_model.json").is_file()


def test_merged_pair_is_explained_by_its_levels(resolved: tuple[DuckDBBackend, Warehouse, dict[str, str]]) -> None:
    backend, wh, _ = resolved
    pair = backend.query(
        "SELECT registration_id_l, registration_id_r FROM entity_pairs ORDER BY match_weight DESC LIMIT 1"
    ).to_pylist()[0]
    ex = explain_pair(backend, wh.reports, pair["registration_id_r"], pair["registration_id_l"])
    assert ex.same_entity is True
    assert abs(ex.prior_weight + sum(lv.match_weight for lv in ex.levels) - ex.match_weight) < 0.01
    assert {lv.comparison for lv in ex.levels} >= {"tin", "name_norm", "phone"}
    with pytest.raises(ValueError, match="not scored"):
        explain_pair(backend, wh.reports, "nope-1", "nope-2")


def test_absent_taxpayers_is_a_clear_error(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path).ensure()
    with pytest.raises(ValueError, match="taxpayers is absent"):
        resolve(DuckDBBackend(wh), wh.reports)


def test_training_on_a_sample_keeps_tin_chains_whole_and_f1_high() -> None:
    from taxloop.entity.model import training_sample
    from taxloop.entity.records import prepare_records
    from taxloop.entity.resolve import resolve_records

    taxpayers, changes, truth = make_registrations(3000, dup_share=0.1, seed=5)
    pairs = list(zip(changes["old_value"].to_pylist(), changes["new_value"].to_pylist(), strict=True))
    records = prepare_records(taxpayers, pairs)
    sample = training_sample(records, 1000)
    assert 500 < sample.num_rows < 1500
    sampled_roots = set(sample["tin_root"].to_pylist())
    whole = [r for r in records["tin_root"].to_pylist() if r in sampled_roots]
    assert len(whole) == sample.num_rows  # every record of a sampled TIN chain is in the sample
    entity_map, _pairs, _model, _report = resolve_records(
        records, 0.95, ModelOptions(u_max_pairs=1e5, seed=3, train_max_records=1000)
    )
    score = pairwise_score(entity_lookup(entity_map), truth)
    assert score.true_pairs > 200
    assert score.f1 >= 0.95, score
