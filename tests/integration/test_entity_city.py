"""Entity resolution and gang detection on a small synthetic city, scored against its truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.entity.city import mount_city, score_entities, score_gangs
from taxloop.entity.resolve import resolve
from taxloop.network.analyze import analyze_network
from taxloop.synth.city import generate_city
from taxloop.synth.params import SynthParams

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DuckDBBackend]:
    out = tmp_path_factory.mktemp("city") / "city"
    generate_city(out, SynthParams(taxpayers=2000, months=12, seed=11, fmt="parquet"), show_progress=False)
    root = mount_city(out, tmp_path_factory.mktemp("wh"))
    return out, DuckDBBackend(Warehouse(root))


def test_resolution_f1_on_the_city(city: tuple[Path, DuckDBBackend]) -> None:
    path, backend = city
    report = resolve(backend, backend.warehouse.reports)
    score = score_entities(backend, path)
    print(f"synthetic city resolve: {report.records} records -> {report.entities} entities; {score}")
    assert score.true_pairs > 20
    assert score.f1 >= 0.97, score


def test_planted_gangs_found_with_roles(city: tuple[Path, DuckDBBackend]) -> None:
    path, backend = city
    analyze_network(backend)
    score = score_gangs(backend, path)
    print(f"synthetic city gangs: {score}")
    assert score.planted > 10
    assert score.recall >= 0.9, score
    assert score.role_accuracy >= 0.8, score
