"""`taxloop keys` run again over a keyed warehouse rewrites nothing; a table copied in later is keyed."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from synth_city import city_warehouse
from test_tin_keys import _backend, _features
from typer.testing import CliRunner

from taxloop.analytics.keys import DICTIONARY, GENERATION, KEY_COLUMNS, prepare_keys
from taxloop.analytics.tin_months import MONTHS
from taxloop.analytics.warehouse import Warehouse
from taxloop.cli.main import build_app
from taxloop.load.keys import index_warehouse

SKIPPED = "not rewritten"


def _files(wh: Warehouse) -> dict[str, tuple[int, int]]:
    """Every file of the tables and the dictionary: inode and modification time (ns)."""
    out = {}
    for folder in (wh.area("tables"), wh.table_dir(DICTIONARY, "derived")):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                st = path.stat()
                out[str(path.relative_to(wh.root))] = (st.st_ino, st.st_mtime_ns)
    return out


def _keys(wh: Warehouse) -> list[str]:
    output = CliRunner().invoke(build_app(), ["keys", "--warehouse", str(wh.root)])
    assert output.exit_code == 0, output.output
    return output.output.splitlines()


@pytest.mark.slow
def test_keys_rerun_rewrites_nothing_and_keys_a_table_copied_in_later(tmp_path: Path) -> None:
    plain = city_warehouse(tmp_path / "plain")  # every table copied in without keys
    wh = Warehouse(tmp_path / "wh")
    shutil.copytree(plain.root, wh.root)
    keyed = [t for t in KEY_COLUMNS if t in wh.names("tables")]
    assert {"invoices", "vat_returns"} <= set(keyed)

    first = _keys(wh)
    assert not any(SKIPPED in line for line in first)
    assert {line.split(":")[0] for line in first} == {DICTIONARY, MONTHS, *keyed}
    before, expected = _files(wh), _features(wh)
    assert expected == _features(plain)  # the keys change no feature

    second = _keys(wh)
    assert {line.split(":")[0] for line in second if SKIPPED in line} == {DICTIONARY, *keyed}
    assert all(SKIPPED in line for line in second)
    assert _files(wh) == before  # no file written, replaced or touched
    with _backend(wh) as backend:
        assert prepare_keys(backend) == {}  # the keys are still trusted
    assert _features(wh) == expected

    # vat_returns copied in again by other means, without keys: only it is rewritten
    shutil.rmtree(wh.table_dir("vat_returns"))
    shutil.copytree(plain.table_dir("vat_returns"), wh.table_dir("vat_returns"))
    untouched = {k: v for k, v in _files(wh).items() if "/vat_returns/" not in k and f"/{MONTHS}/" not in k}
    run = index_warehouse(wh)
    assert set(run.seconds) == {"vat_returns", MONTHS}  # the month table is written again from the new files
    assert set(run.skipped) == {DICTIONARY, *keyed} - {"vat_returns"}
    assert {k: v for k, v in _files(wh).items() if "/vat_returns/" not in k and f"/{MONTHS}/" not in k} == untouched
    con = duckdb.connect()
    columns = [r[0] for r in con.execute(f"DESCRIBE FROM '{wh.table_dir('vat_returns')}/*.parquet'").fetchall()]
    assert columns[-2:] == ["tin_key", GENERATION]
    with _backend(wh) as backend:
        assert prepare_keys(backend) == {}
    assert _features(wh) == expected
