"""The resolve, explain-pair, network, gangs and profile commands on a small warehouse."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from entity_world import build_world
from typer.testing import CliRunner

from taxloop.cli.main import build_app
from taxloop.entity.sample import make_registrations


def test_network_gangs_profile_commands(tmp_path: Path) -> None:
    build_world(tmp_path).close()
    app, runner, w = build_app(), CliRunner(), ["-w", str(tmp_path)]
    out = runner.invoke(app, ["network", *w, "--min-value", "100000"])
    assert out.exit_code == 0, out.output
    assert "Network report" in out.output and "gangs" in out.output
    out = runner.invoke(app, ["gangs", *w])
    assert out.exit_code == 0 and "G-C1" in out.output and "虚开源头" in out.output
    out = runner.invoke(app, ["profile", "S1", *w])
    assert out.exit_code == 0 and "S1" in out.output
    out = runner.invoke(app, ["profile", "S1", "--json", *w])
    assert out.exit_code == 0 and '"role": "source"' in out.output
    out = runner.invoke(app, ["profile", "NOPE", *w])
    assert out.exit_code == 2 and "no taxpayer" in out.output


def test_resolve_and_explain_commands(tmp_path: Path) -> None:
    taxpayers, changes, _ = make_registrations(150, dup_share=0.2, seed=5)
    for name, table in (("taxpayers", taxpayers), ("taxpayer_changes", changes)):
        (tmp_path / "tables" / name).mkdir(parents=True)
        pq.write_table(table, tmp_path / "tables" / name / "part-0.parquet")
    app, runner, w = build_app(), CliRunner(), ["-w", str(tmp_path)]
    out = runner.invoke(app, ["resolve", *w, "--threshold", "0.9"])
    assert out.exit_code == 0, out.output
    assert "Resolve report" in out.output and "merged_records" in out.output
    pairs = pq.read_table(tmp_path / "derived" / "entity_pairs").to_pylist()
    out = runner.invoke(app, ["explain-pair", pairs[0]["registration_id_l"], pairs[0]["registration_id_r"], *w])
    assert out.exit_code == 0, out.output
    assert "纳税人识别号" in out.output and "match weight" in out.output
