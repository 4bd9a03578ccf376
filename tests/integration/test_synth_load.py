"""A synthetic city passes the contract loader: every table loaded, nothing quarantined, truth/ ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from taxloop.contract.schema import load_contract
from taxloop.synth.city import generate_city
from taxloop.synth.params import SynthParams


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_synth_city_loads_without_quarantine(tmp_path: Path, fmt: str) -> None:
    load = pytest.importorskip("taxloop.load")
    city = tmp_path / "city"
    counts = generate_city(city, SynthParams(taxpayers=300, months=12, seed=9, fmt=fmt), show_progress=False)
    report = load.load_dataset(city, tmp_path / "wh")
    loaded = {t.table: t for t in report.tables}
    assert set(loaded) == set(load_contract().tables)
    for name, table in loaded.items():
        assert table.status == "loaded", name
        assert table.rows_quarantined == 0, (name, table.by_rule)
        assert table.rows_loaded == counts[name], name
    assert report.ignored == ["truth"]
