"""The disk cache of pruned feature plans: a hit skips planning and stages the same tables; any input change is a
miss; a damaged entry is planned anew; the setting picks the folder or turns the cache off."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from synth_city import connect, small_city

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.contract.schema import load_contract
from taxloop.features import plan as plan_module
from taxloop.features import plan_cache
from taxloop.features.plan import build_pruned
from taxloop.risk.library import load_library
from taxloop.rules.spec import RuleSpec

CODES = ["VAT_SALES_BELOW_INVOICED", "IIT_INSURED_ABOVE_WITHHELD", "VAT_INPUT_EXCEEDS_OUTPUT"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    con = connect(small_city())
    wh = Warehouse(tmp_path_factory.mktemp("plan_cache") / "wh").ensure()
    for name in load_contract().tables:
        folder = wh.table_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY {name} TO '{folder / 'part-0.parquet'}' (FORMAT parquet)")
    return wh


def _staged(wh: Warehouse, specs: list[RuleSpec], cache: Path | None) -> dict[str, list[tuple[object, ...]]]:
    backend = DuckDBBackend(wh, threads=1)
    try:
        counts = build_pruned(backend, specs, cache)
        return {t: sorted(backend.con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in counts}
    finally:
        backend.close()


def test_hit_skips_planning_and_stages_the_same_tables(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = load_library(codes=CODES)
    uncached = _staged(warehouse, specs, None)
    first = _staged(warehouse, specs, tmp_path)  # a miss: planned and stored
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert not list(tmp_path.glob("*.tmp"))

    def _no_planning(*args: object, **kwargs: object) -> None:
        raise AssertionError("planned although the plan was cached")

    monkeypatch.setattr(plan_module, "plan_features", _no_planning)
    second = _staged(warehouse, specs, tmp_path)
    assert uncached == first == second
    assert {"features_period", "features_tin"} <= set(second)


def test_every_input_is_in_the_key(warehouse: Warehouse) -> None:
    specs = load_library(codes=CODES)
    present = set(warehouse.names("tables"))
    base = plan_cache.plan_key(specs, present, (1, 0), {})
    changed = specs[0].model_copy(update={"sql": specs[0].sql + "\n"})
    param = next(iter(specs[1].params))
    retuned = specs[1].model_copy(deep=True)
    retuned.params[param].default = float(retuned.params[param].default) + 1  # type: ignore[arg-type]
    keys = {
        plan_cache.plan_key([changed, *specs[1:]], present, (1, 0), {}),
        plan_cache.plan_key([specs[0], retuned, specs[2]], present, (1, 0), {}),
        plan_cache.plan_key(specs[:2], present, (1, 0), {}),
        plan_cache.plan_key(specs, present - {"utilities"}, (1, 0), {}),
        plan_cache.plan_key(specs, present, (2, 100), {}),
        plan_cache.plan_key(specs, present, (2, 200), {}),
        plan_cache.plan_key(specs, present, (1, 0), {"tin_keys": "tin_keys_scan"}),
    }
    assert base not in keys and len(keys) == 7
    assert plan_cache.plan_key(list(specs), set(present), (1, 0), {}) == base  # the same inputs, the same key


def test_int_and_float_defaults_are_different_keys(warehouse: Warehouse) -> None:
    spec = load_library(codes=CODES[:1])[0]
    name = next(n for n, p in spec.params.items() if isinstance(p.default, int | float))
    as_int, as_float = spec.model_copy(deep=True), spec.model_copy(deep=True)
    as_int.params[name].default = 3
    as_float.params[name].default = 3.0
    present = set(warehouse.names("tables"))
    assert plan_cache.plan_key([as_int], present, (1, 0), {}) != plan_cache.plan_key([as_float], present, (1, 0), {})


#: an entry of the shape older taxloops wrote (with ``cells_inlined``, gone with the invoice cells table)
OLD_SHAPE = '{"sql": {}, "columns": {}, "sources_dropped": {}, "cells_inlined": false}'


@pytest.mark.parametrize("damage", ["{not json", "[1, 2]", '{"sql": 1}', '{"sql": {}, "columns": {}}', OLD_SHAPE])
def test_damaged_entry_is_planned_anew(warehouse: Warehouse, tmp_path: Path, damage: str) -> None:
    specs = load_library(codes=CODES[:1])
    expected = _staged(warehouse, specs, None)
    _staged(warehouse, specs, tmp_path)
    (entry,) = tmp_path.glob("*.json")
    entry.write_text(damage, encoding="utf-8")
    assert _staged(warehouse, specs, tmp_path) == expected
    assert set(json.loads(entry.read_text(encoding="utf-8"))) == {"sql", "columns", "sources_dropped"}


def test_unwritable_folder_leaves_the_cache_unused(warehouse: Warehouse, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    specs = load_library(codes=CODES[:1])
    assert _staged(warehouse, specs, blocker / "plans") == _staged(warehouse, specs, None)


def test_cache_dir_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert plan_cache.cache_dir("off") is None
    assert plan_cache.cache_dir(" OFF ") is None
    assert plan_cache.cache_dir(str(tmp_path)) == tmp_path
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert plan_cache.cache_dir("") == tmp_path / "xdg" / "taxloop" / "plans"


def test_fingerprint_sources_exist() -> None:
    root = resources.files("taxloop")
    for name in plan_cache._SOURCES:
        assert root.joinpath(name).is_dir() or root.joinpath(name).is_file(), name
    assert len(plan_cache.code_fingerprint()) == 64


def test_cli_scan_of_chosen_rules_uses_the_setting(
    warehouse: Warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from typer.testing import CliRunner

    from taxloop.cli.main import build_app

    wh = tmp_path / "wh"
    shutil.copytree(warehouse.root, wh)
    cache = tmp_path / "plans"
    runner = CliRunner()
    for setting, entries in ((str(cache), 1), ("off", 1), (str(cache), 1)):
        monkeypatch.setenv("TAXLOOP_PLAN_CACHE", setting)
        res = runner.invoke(build_app(), ["scan", "-w", str(wh), "--indicators", CODES[0], "--sample-share", "0"])
        assert res.exit_code == 0, res.output
        assert len(list(cache.glob("*.json"))) == entries


class _Zoned:
    """``duckdb`` as ``rowset`` uses it, on a connection in another time zone (what TZ does to a scan's process)."""

    def __init__(self, zone: str) -> None:
        import duckdb

        self.con = duckdb.connect()
        self.con.execute(f"SET TimeZone='{zone}'")
        self.Error = duckdb.Error

    def execute(self, sql: str) -> object:
        return self.con.execute(sql)


def test_a_plan_does_not_depend_on_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A WHERE calling current_date proves no blindness, so the plan (and its key) is the same on every day."""
    import duckdb

    from taxloop.features import rowset
    from taxloop.features.plan import plan_features

    spec = load_library(codes=CODES[:1])[0]
    day = duckdb.sql("SET TimeZone='Etc/GMT-14'; SELECT current_date::VARCHAR").fetchall()[0][0]  # latest date now
    sql = (
        "SELECT tin AS subject_id, tin, period, out_n AS value, 0 AS threshold, '' AS evidence "
        f"FROM features_period WHERE out_n > 0 OR current_date >= DATE '{day}'"
    )
    rule = spec.model_copy(update={"sql": sql, "code": "CLOCK"})
    present = set(load_contract().tables)
    plans = []
    for zone in ("Etc/GMT+12", "Etc/GMT-14"):  # 26 hours apart: two different dates
        monkeypatch.setattr(rowset, "duckdb", _Zoned(zone))
        rowset.blank_values.cache_clear()
        plans.append(plan_features([rule], present, 1, {}).sources_dropped)
    assert plans[0] == plans[1] == {"features_period": False}


def test_a_failed_entry_write_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def _full(obj: object, fh: object, **kwargs: object) -> None:
        fh.write('{"sql": ')  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dump", _full)
    plan_cache.write_entry(tmp_path, "k", {"sql": {}})
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(not hasattr(__import__("os"), "getuid"), reason="file owners are POSIX only")
def test_entries_others_may_write_are_not_used(warehouse: Warehouse, tmp_path: Path) -> None:
    specs = load_library(codes=CODES[:1])
    cache = tmp_path / "plans"
    expected = _staged(warehouse, specs, cache)
    assert cache.stat().st_mode & 0o777 == 0o700  # a new cache folder is private
    (entry,) = cache.glob("*.json")
    entry.write_text(entry.read_text(encoding="utf-8").replace("SELECT", "SELECT 1 AS injected,", 1))
    entry.chmod(0o666)  # writable by anyone: not trusted, planned anew and replaced
    assert _staged(warehouse, specs, cache) == expected
    assert "injected" not in entry.read_text(encoding="utf-8")
    cache.chmod(0o777)  # a folder anyone may write: nothing in it is trusted
    key_path = next(cache.glob("*.json"))
    key_path.write_text('{"sql": {"features_tin": ["SELECT 1 AS injected"]}, "columns": {}, '
                        '"sources_dropped": {}}')  # fmt: skip
    key_path.chmod(0o600)
    assert _staged(warehouse, specs, cache) == expected
