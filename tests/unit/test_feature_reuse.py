"""Feature tables kept from the last build (taxloop.features.reuse): only when nothing they are made from has
changed, never after a source, a feature table they read, the bucket count or the record itself changed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from synth_city import city_warehouse
from typer.testing import CliRunner

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.keys_manifest import fingerprint
from taxloop.analytics.warehouse import Warehouse
from taxloop.cli.main import build_app
from taxloop.features import FEATURE_TABLES, build_features
from taxloop.features.build import depends_on
from taxloop.features.reuse import read_record, record_path
from taxloop.load.keys import index_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The small city, keyed, with every feature table built once (and so recorded)."""
    wh = city_warehouse(tmp_path_factory.mktemp("reuse") / "wh")
    index_warehouse(wh)
    build_features(DuckDBBackend(wh))
    return wh


@pytest.fixture
def wh(built: Warehouse, tmp_path: Path) -> Warehouse:
    """A copy of ``built`` (file times kept, so the copy is the same data)."""
    shutil.copytree(built.root, tmp_path / "wh")
    return Warehouse(tmp_path / "wh")


def _build(wh: Warehouse, reuse: bool = True, buckets: int | None = None) -> tuple[dict[str, int], list[str]]:
    kept: list[str] = []
    counts = build_features(DuckDBBackend(wh), reuse=reuse, kept=kept, buckets=buckets)
    return counts, kept


def _files(wh: Warehouse) -> dict[str, dict[str, list[int]]]:
    return {t: fingerprint(wh.table_dir(t, "derived")) for t in FEATURE_TABLES}


def _readers_of(table: str) -> set[str]:
    """``table`` and every feature table that reads it, directly or not."""
    out = {table}
    while True:
        more = {t for t in FEATURE_TABLES if depends_on(t) & out} - out
        if not more:
            return out
        out |= more


def test_unchanged_inputs_keep_every_table_as_it_is(wh: Warehouse) -> None:
    before = _files(wh)
    counts, kept = _build(wh)
    assert kept == list(FEATURE_TABLES)
    assert _files(wh) == before  # nothing read, nothing written
    assert counts["features_period"] == pq.ParquetDataset(wh.table_dir("features_period", "derived")).read().num_rows


def test_without_reuse_everything_is_built_and_recorded(wh: Warehouse) -> None:
    before = _files(wh)
    counts, kept = _build(wh, reuse=False)
    assert kept == []
    after = _files(wh)
    assert all(after[t] != before[t] for t in FEATURE_TABLES)
    assert set(read_record(wh).tables) == set(FEATURE_TABLES)
    assert _build(wh)[1] == list(FEATURE_TABLES)  # what was just written is kept next time
    assert _build(wh)[0] == counts


def test_a_changed_source_rebuilds_everything(wh: Warehouse) -> None:
    part = sorted(wh.table_dir("land_parcels").glob("*.parquet"))[0]  # read by features_entity only, not keyed
    st = part.stat()
    os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert _build(wh)[1] == []


def test_a_changed_feature_table_rebuilds_it_and_its_readers_only(wh: Warehouse) -> None:
    part = sorted(wh.table_dir("features_period", "derived").glob("*.parquet"))[0]
    st = part.stat()
    os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    readers = _readers_of("features_period")
    assert {"features_period", "features_year", "features_entity"} <= readers
    assert _build(wh)[1] == [t for t in FEATURE_TABLES if t not in readers]
    assert _build(wh)[1] == list(FEATURE_TABLES)


def test_a_deleted_feature_table_is_rebuilt(wh: Warehouse) -> None:
    shutil.rmtree(wh.table_dir("features_pairs", "derived"))
    assert _build(wh)[1] == [t for t in FEATURE_TABLES if t != "features_pairs"]
    assert wh.find("features_pairs") is not None


def test_another_bucket_count_or_a_damaged_record_rebuilds_everything(wh: Warehouse) -> None:
    assert _build(wh, buckets=2)[1] == []
    assert _build(wh, buckets=2)[1] == list(FEATURE_TABLES)
    record_path(wh).write_text("{not json", encoding="utf-8")
    assert _build(wh, buckets=2)[1] == []


def _report(wh: Warehouse) -> dict[str, object]:
    newest = max(wh.reports.glob("scan-*.json"), key=lambda p: p.stat().st_mtime_ns)
    return dict(json.loads(newest.read_text(encoding="utf-8")))


def test_scan_keeps_unchanged_features_and_says_so(wh: Warehouse) -> None:
    runner = CliRunner()
    first = runner.invoke(build_app(), ["scan", "-w", str(wh.root), "--seed", "7"])
    assert first.exit_code == 0, first.output
    assert "kept from the last build" in " ".join(first.output.split())
    assert _report(wh)["features_kept"] == list(FEATURE_TABLES)
    hits = pq.ParquetDataset(wh.table_dir("indicator_hits", "derived")).read()
    rebuilt = runner.invoke(build_app(), ["scan", "-w", str(wh.root), "--seed", "7", "--rebuild-features"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "kept from the last build" not in " ".join(rebuilt.output.split())
    assert _report(wh)["features_kept"] == []
    again = pq.ParquetDataset(wh.table_dir("indicator_hits", "derived")).read()
    columns = ["code", "subject_id", "tin", "period", "evidence"]
    assert sorted(hits.select(columns).to_pylist(), key=str) == sorted(again.select(columns).to_pylist(), key=str)
    assert hits.num_rows > 100


def test_a_copy_swapped_in_by_another_scan_meanwhile_is_not_recorded_as_this_builds(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = DuckDBBackend(wh)
    real = backend._swap_in

    def swap_then_another_writer(name: str, tmp: Path) -> None:
        real(name, tmp)
        if name == "features_year":  # another scan puts its own copy in place before this one records the table
            part = sorted(wh.table_dir(name, "derived").glob("*.parquet"))[0]
            data = part.read_bytes()
            part.unlink()
            part.write_bytes(data)
            st = part.stat()
            os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))

    monkeypatch.setattr(backend, "_swap_in", swap_then_another_writer)
    build_features(backend)
    assert _build(wh)[1] == [t for t in FEATURE_TABLES if t != "features_year"]


def test_the_writers_code_is_part_of_the_inputs_key(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    from taxloop.features import reuse

    def key() -> str:
        return reuse.inputs_key(wh, ["taxpayers"], "duckdb", {}, frozenset(), None)

    before = key()
    monkeypatch.setattr(reuse, "_writers_fingerprint", lambda: "another backend")
    assert key() != before
