"""`taxloop models ...` end to end on a crafted warehouse and truth folder."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from models_fixtures import crafted_city
from typer.testing import CliRunner

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.cli.main import build_app


@pytest.fixture(scope="module")
def city_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("cli")
    wh, truth = base / "wh", base / "truth"
    city = crafted_city(1500, seed=5)
    be = DuckDBBackend(Warehouse(wh).ensure())
    for name in ("features_entity", "indicator_hits", "network_features"):
        be.write_arrow(name, pa.Table.from_pandas(city[name], preserve_index=False))
    # only a third of the past audits, so that unseen schemers remain to evaluate on
    be.write_arrow("audit_outcomes", pa.Table.from_pandas(city["audit_outcomes"].head(400), preserve_index=False))
    be.close()
    truth.mkdir()
    t = city["truth"][city["truth"]["positive"]]
    t.assign(true_entity_id=t["tin"], scheme="under_reported_sales", gang_id="", role="")[
        ["tin", "true_entity_id", "scheme", "gang_id", "role", "tax_evaded"]
    ].to_csv(truth / "taxpayer_schemes.csv", index=False)
    return wh, truth


def test_models_commands(city_dirs: tuple[Path, Path]) -> None:
    wh, truth = city_dirs
    runner = CliRunner()
    app = build_app()
    w = ["--warehouse", str(wh)]
    res = runner.invoke(app, ["models", "train", *w, "--trees", "50", "--promote"])
    assert res.exit_code == 0, res.output
    assert "v0001" in res.output
    res = runner.invoke(app, ["models", "list", *w])
    assert res.exit_code == 0 and "v0001" in res.output
    res = runner.invoke(app, ["models", "promote", "v0042", *w])
    assert res.exit_code == 2
    res = runner.invoke(app, ["models", "score", *w, "--explain-top", "20"])
    assert res.exit_code == 0, res.output
    assert "model_scores: 1500 rows" in res.output
    # model_share 0.6: the model outweighs the single noisy rule (default 0.3 keeps the rules ahead)
    res = runner.invoke(app, ["models", "report", *w, "--truth", str(truth)], env={"TAXLOOP_MODEL_SHARE": "0.6"})
    assert res.exit_code == 0, res.output
    data = json.loads((wh / "reports" / "models_report.json").read_text(encoding="utf-8"))
    first = next(iter(data["reports"].values()))
    # no risk_scores here: the expert score is the hit weight (not 0..1), so only the calibrated blend
    # (and its value ranking, P x predicted amount ** w, the model having an amount regressor)
    assert set(first) == {"expert", "model", "combination_calibrated", "combination_value"}
    # the crafted gang is invisible to the only rule: model and combination must do better
    assert first["combination_calibrated"]["precision_at_k"] > first["expert"]["precision_at_k"]
    assert first["combination_calibrated"]["recovered_per_task"] > first["expert"]["recovered_per_task"]
    res = runner.invoke(app, ["models", "retrain", *w, "--trees", "50"])
    assert res.exit_code == 0, res.output
    assert (wh / "models" / "v0002" / "card.json").is_file()
    res = runner.invoke(app, ["models", "loop", *w, "--truth", str(truth), "--cycles", "2", "--trees", "40"])
    assert res.exit_code == 0, res.output
    loop = json.loads((wh / "reports" / "models_loop.json").read_text(encoding="utf-8"))
    assert [c["policy"] for c in loop["cycles"]] == ["expert", "model+expert"]


def test_missing_features_is_a_clear_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(build_app(), ["models", "train", "--warehouse", str(tmp_path / "empty")])
    assert res.exit_code == 2
    assert "features_entity" in res.output
