"""The blocking guard: comparisons counted per blocking rule, refusal above the limit (model, training sample, CLI)."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from taxloop.cli.main import build_app
from taxloop.config import Settings
from taxloop.entity.guard import BlockingExplosionError, count_comparisons
from taxloop.entity.model import ModelOptions, check_blocking, prediction_rules, training_sample
from taxloop.entity.records import prepare_records
from taxloop.entity.resolve import resolve_records
from taxloop.entity.sample import make_registrations

SAME = "同名商贸有限公司"


def _taxpayers(n: int, same: int, seed: int = 5) -> pa.Table:
    """Crafted registrations, the first ``same`` of them renamed to one name."""
    taxpayers, _, _ = make_registrations(n, dup_share=0.1, seed=seed)
    names = taxpayers["name"].to_pylist()
    names[:same] = [SAME] * same
    return taxpayers.set_column(taxpayers.column_names.index("name"), "name", pa.array(names, pa.string()))


def _pairs(values: list[str | None]) -> int:
    return sum(c * (c - 1) // 2 for c in Counter(v for v in values if v is not None).values())


def test_counts_equal_splinks_exact_count_of_blocked_pairs() -> None:
    from splink import DuckDBAPI, block_on
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    records = prepare_records(_taxpayers(400, 30))
    rules = prediction_rules(records, ModelOptions())
    assert len(rules) >= 5
    ours = count_comparisons(records, rules, "prediction")
    frame = DuckDBAPI().register(records)
    for count in ours:
        theirs = count_comparisons_from_blocking_rules(
            frame, blocking_rules=block_on(*count.rule), link_type="dedupe_only", record_sample_proportion=1.0
        )[0]["marginal_comparison_count"]
        assert count.comparisons == theirs, count.rule
    assert next(c for c in ours if c.rule == ("name_norm",)).comparisons >= 30 * 29 // 2


def test_repeated_name_is_refused_before_training_naming_rule_count_limit_and_keys() -> None:
    records = prepare_records(_taxpayers(400, 200))
    expected = _pairs(records["name_norm"].to_pylist())
    assert expected >= 200 * 199 // 2
    options = ModelOptions(min_comparison_limit=0, u_max_pairs=1e4)
    started = time.perf_counter()
    with pytest.raises(BlockingExplosionError) as caught:
        resolve_records(records, 0.95, options)
    assert time.perf_counter() - started < 10  # refused by counting, not after training
    err = caught.value
    assert err.count.rule == ("name_norm",) and err.count.stage == "prediction"
    assert err.count.comparisons == expected and err.limit == records.num_rows * 10
    assert err.count.top_keys[0] == ("'同名商贸'", 200)  # the normalised name (legal form stripped)
    message = str(err)
    for part in ("`name_norm`", f"{expected:,}", f"{records.num_rows * 10:,}", "'同名商贸' × 200", "分块规则"):
        assert part in message, part
    assert "--max-comparisons-per-record" in message and "TAXLOOP_RESOLVE_MAX_COMPARISONS_PER_RECORD" in message


def test_normal_records_pass_and_the_limit_can_be_raised_or_turned_off() -> None:
    normal = prepare_records(_taxpayers(400, 0))
    counts = check_blocking(normal, ModelOptions(min_comparison_limit=0))
    assert all(c.per_record < 1 for c in counts), [(c.label, c.per_record) for c in counts]
    exploding = prepare_records(_taxpayers(400, 200))
    with pytest.raises(BlockingExplosionError):
        check_blocking(exploding, ModelOptions(min_comparison_limit=0))
    assert check_blocking(exploding, ModelOptions(min_comparison_limit=0, max_comparisons_per_record=60))
    assert check_blocking(exploding, ModelOptions(min_comparison_limit=0, max_comparisons_per_record=0))
    assert check_blocking(exploding, ModelOptions())  # 19,900 pairs: below the 100,000 floor


def test_training_sample_is_guarded_with_its_own_record_count() -> None:
    """One TIN chain of 300 records: within the limit on all 3,000 records, over it on the EM sample."""
    base = _taxpayers(2700, 0)
    records = prepare_records(base)
    options = ModelOptions(min_comparison_limit=0, train_max_records=1000, max_comparisons_per_record=20)
    sampled = set(training_sample(records, 1000)["tin_root"].to_pylist())
    chain = next(t for t in records["tin_root"].to_pylist() if t in sampled)
    rows = base.slice(0, 300).to_pylist()
    copies = [dict(r, registration_id=f"COPY{i}", tin=chain, name=f"{SAME}{i}") for i, r in enumerate(rows)]
    bigger = prepare_records(pa.concat_tables([base, pa.Table.from_pylist(copies, schema=base.schema)]))
    assert bigger.num_rows * 20 > 300 * 299 // 2  # prediction and prior pass on all records
    with pytest.raises(BlockingExplosionError) as caught:
        check_blocking(bigger, options)
    assert caught.value.count.rule == ("tin_root",) and "sample of" in caught.value.count.stage
    assert caught.value.count.records < bigger.num_rows / 2


def test_settings_default_equals_model_default() -> None:
    assert Settings().resolve_max_comparisons_per_record == ModelOptions().max_comparisons_per_record


def test_cli_refuses_with_the_message_and_the_limit_can_be_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tables" / "taxpayers").mkdir(parents=True)
    taxpayers = _taxpayers(470, 460)
    pq.write_table(taxpayers, tmp_path / "tables" / "taxpayers" / "part-0.parquet")
    expected = _pairs(prepare_records(taxpayers)["name_norm"].to_pylist())
    app, runner, w = build_app(), CliRunner(), ["resolve", "-w", str(tmp_path)]
    monkeypatch.delenv("TAXLOOP_RESOLVE_MAX_COMPARISONS_PER_RECORD", raising=False)
    out = runner.invoke(app, w)
    assert out.exit_code == 2, out.output
    text = " ".join(out.output.split())
    assert "blocking explosion" in text and "`name_norm`" in text and f"{expected:,}" in text and "× 460" in text
    assert "Traceback" not in out.output and isinstance(out.exception, SystemExit)
    out = runner.invoke(app, w, env={"TAXLOOP_RESOLVE_MAX_COMPARISONS_PER_RECORD": "150"})
    assert out.exit_code == 2 and "× 150" in out.output  # read from the settings
    env = {"TAXLOOP_RESOLVE_MAX_COMPARISONS_PER_RECORD": "150"}
    out = runner.invoke(app, [*w, "--max-comparisons-per-record", "10"], env=env)
    assert out.exit_code == 2 and "× 10," in out.output  # the option wins
    out = runner.invoke(app, [*w, "--max-comparisons-per-record", "300"])
    assert out.exit_code == 0, out.output
    assert "Resolve report" in out.output and "blocking_comparisons" in out.output
