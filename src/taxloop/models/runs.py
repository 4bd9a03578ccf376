"""The report and loop runs behind ``taxloop models report`` and ``taxloop models loop`` (I/O + formatting)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.progress import Progress

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.config import Settings
from taxloop.models.dataset import DatasetError, feature_columns, load_frame, read_outcomes
from taxloop.models.loop import LoopConfig, expert_selection, simulate, summary
from taxloop.models.registry import ModelRegistry
from taxloop.models.report import attach_truth, markdown, read_truth, side_by_side
from taxloop.models.training import TrainConfig


def _entity_map(backend: AnalyticsBackend) -> pd.DataFrame | None:
    if not backend.has_table("entity_map"):
        return None
    frame: pd.DataFrame = backend.query("SELECT DISTINCT tin, entity_id FROM entity_map").to_pandas()
    return frame


def _outcomes_or_empty(backend: AnalyticsBackend) -> pd.DataFrame:
    try:
        return read_outcomes(backend)
    except DatasetError:
        cols = ["entity_id", "case_id", "closed_on", "selection", "finding", "tax_recovered", "scheme", "source"]
        return pd.DataFrame(columns=cols)


def _save(reports_dir: Path, name: str, data: Any, text: str) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), "utf-8")
    path = reports_dir / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def run_report(
    settings: Settings, backend: AnalyticsBackend, registry: ModelRegistry, truth: Path | None, version: str | None
) -> str:
    """Evaluate expert alone / model alone / combination; write ``reports/models_report.{json,md}``.

    With a truth folder: every taxpayer the model was not trained on, at k = number of planted
    schemers among them and at k = the expert rules' own task count. Without: the held-out
    time-split figures of the model card (later outcomes than the training ones).
    """
    version, model = registry.load(version)
    if truth is None:
        card = registry.card(version)
        text = f"# Model {version}: time-split test (no truth folder given)\n\n```\n"
        text += json.dumps(card["metrics"], indent=2, default=str) + "\n```\n"
        _save(settings.warehouse / "reports", "models_report", card["metrics"], text)
        return text
    frame = load_frame(backend)
    frame["model_score"] = model.predict(frame)
    amount = model.predict_amount(frame)
    if amount is not None:
        frame["predicted_amount"] = amount
    frame = attach_truth(frame, read_truth(truth, _entity_map(backend)))
    outcomes = _outcomes_or_empty(backend)
    trained_on = set(outcomes["entity_id"].astype(str))
    ev = frame[~frame["entity_id"].isin(trained_on)].reset_index(drop=True)
    if ev.empty or not ev["positive"].any():
        raise ValueError("no unseen taxpayer with a planted scheme to evaluate on / 无可评估的未见正样本")
    rnd = outcomes[outcomes["selection"] == "random"]
    meta: dict[str, Any] = {
        "model version": version,
        "truth": str(truth),
        "evaluated taxpayers (not in training labels)": len(ev),
        "planted schemers among them": int(ev["positive"].sum()),
        "random baseline (population rate)": round(float(ev["positive"].mean()), 4),
        "random-sample cases in audit_outcomes (hit rate)": f"{len(rnd)} "
        f"({rnd['finding'].isin(['adjusted', 'fraud']).mean():.3f})"
        if len(rnd)
        else "0",
        "model_share": settings.model_share,
        "value weight w (P x amount^w, tuned on the time-split validation fold)": model.value_weight
        if model.amount is not None
        else "no amount model",
        "recovered = planted evaded tax (truth)": "yes",
    }
    args = (
        ev["expert_score"].to_numpy(dtype=np.float64),
        ev["model_score"].to_numpy(dtype=np.float64),
        ev["positive"].to_numpy(),
        ev["tax_evaded"].to_numpy(dtype=np.float64),
    )
    schemes = ev["scheme"].where(ev["scheme"].notna(), None).tolist()
    k_pos = int(ev["positive"].sum())
    k_expert = len(expert_selection(ev, None))
    reports = {}
    for label, k in ((f"k = planted schemers ({k_pos})", k_pos), (f"k = expert task count ({k_expert})", k_expert)):
        if k > 0:
            reports[label] = side_by_side(
                *args,
                k,
                settings.model_share,
                schemes,
                None,
                model.expert_calibration,
                ev["predicted_amount"].to_numpy(dtype=np.float64) if amount is not None else None,
                model.value_weight,
            )
    text = markdown(f"Models report / 模型评估报告 ({version})", meta, reports)
    data = {"meta": meta, "reports": {lab: {s: r.as_dict() for s, r in reps.items()} for lab, reps in reports.items()}}
    _save(settings.warehouse / "reports", "models_report", data, text)
    return text


def loop_markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    """The loop simulation as Markdown."""
    lines = ["# Closed loop simulation / 闭环模拟", ""] + [f"- {k}: {v}" for k, v in meta.items()]
    lines += [
        "",
        "| cycle | policy | tasks | hit rate | recovered / task | rules alone: tasks | hit rate | recovered / task |"
        " random hit rate | labels |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['cycle']} | {r['policy']} | {r['tasks']} | {r['hit_rate']:.3f} | {r['recovered_per_task']:,.0f} |"
            f" {r['expert_tasks']} | {r['expert_hit_rate']:.3f} | {r['expert_recovered_per_task']:,.0f} |"
            f" {r['random_hit_rate']:.3f} | {r.get('labelled', '-')} |"
        )
    s = summary(rows)
    if s:
        lines += [
            "",
            f"Learned cycles vs rules alone on the same cohorts: tasks {s['tasks_change']:+.1%}, recovered tax"
            f" {s['recovered_change']:+.1%}, recovered per task {s['recovered_per_task_change']:+.1%}.",
        ]
    return "\n".join(lines) + "\n"


def _loop_train_config(settings: Settings, trees: int) -> TrainConfig:
    """Training parameters of each retrain in a loop simulation."""
    return TrainConfig(
        n_estimators=trees, seed=settings.seed, model_share=settings.model_share, n_jobs=settings.threads or 1
    )


def run_loop(
    settings: Settings, backend: AnalyticsBackend, truth: Path, cycles: int, threshold: float, trees: int
) -> tuple[list[dict[str, Any]], Path]:
    """Simulate ``cycles`` push cycles with the truth as oracle; write ``reports/models_loop.{json,md}``."""
    frame = load_frame(backend)
    numeric, categorical = feature_columns(frame)
    frame = attach_truth(frame, read_truth(truth, _entity_map(backend)))
    history = _outcomes_or_empty(backend)
    cfg = LoopConfig(
        cycles=cycles,
        threshold=threshold,
        random_share=settings.random_sample_share,
        model_share=settings.model_share,
        seed=settings.seed,
        train=_loop_train_config(settings, trees),
    )
    with Progress() as bar:
        task = bar.add_task("push cycles / 推送轮次", total=cycles)
        rows = simulate(frame, history, numeric, categorical, cfg, progress=lambda _: bar.advance(task))
    meta = {
        "oracle": "synthetic truth (taxpayer_schemes.csv): schemer -> adjusted, 70-100% of evaded tax recovered",
        "cohorts": "taxpayers not audited before, split at random into one cohort per cycle",
        "policy cycle 0": "expert rules alone (level high/medium, else any hit)",
        "policy later cycles": f"push P(finding) >= {threshold}, ranked by the calibrated blend,"
        f" model_share {cfg.model_share}",
        "random sample share": cfg.random_share,
        "history cases": len(history),
    }
    path = _save(
        settings.warehouse / "reports", "models_loop", {"meta": meta, "cycles": rows}, loop_markdown(rows, meta)
    )
    return rows, path


def run_workflow_loop_report(
    settings: Settings, backend: AnalyticsBackend, truth: Path, cycles: int, threshold: float, trees: int
) -> tuple[list[dict[str, Any]], Path]:
    """The loop through the workflow services; writes ``reports/models_loop_workflow.{json,md}``."""
    from taxloop.models.service import registry_for
    from taxloop.models.workflow_loop import WorkflowLoopConfig, run_workflow_loop

    cfg = WorkflowLoopConfig(
        cycles=cycles,
        threshold=threshold,
        random_share=settings.random_sample_share,
        model_share=settings.model_share,
        review_share=settings.review_share,
        seed=settings.seed,
        train=_loop_train_config(settings, trees),
    )
    registry = registry_for(settings.warehouse / "loop")
    with Progress() as bar:
        task = bar.add_task("push cycles / 推送轮次", total=cycles)
        rows = run_workflow_loop(
            backend, registry, truth, settings.warehouse / "loop", cfg, progress=lambda _: bar.advance(task)
        )
    meta = {
        "path": "workflow services: tasks -> push -> allocate -> simulated responses -> cross review ->"
        " feedback (task_outcomes) -> retrain from the warehouse (store: loop/workflow.sqlite)",
        "officers": f"answer as the truth says, {cfg.miss_share:.0%} of planted cases missed; reviewers judge by the"
        " truth",
        "cohorts": "taxpayers not audited before, split at random into one cohort per cycle",
        "policy cycle 0": "expert rules alone (level high/medium)",
        "policy later cycles": f"push P(finding) >= {threshold}, ranked by the calibrated blend,"
        f" model_share {cfg.model_share}",
        "rules alone": "same cohort, expected answer of the same simulated officers (truth)",
        "random sample share": cfg.random_share,
    }
    text = loop_markdown(rows, meta) + "\n| cycle | reviews | failed | allocated | unallocated | missed |\n"
    text += "|---|---|---|---|---|---|\n" + "".join(
        f"| {r['cycle']} | {r['reviews']} | {r['reviews_failed']} | {r['allocated']} | {r['unallocated']} |"
        f" {r['missed']} |\n"
        for r in rows
    )
    path = _save(settings.warehouse / "reports", "models_loop_workflow", {"meta": meta, "cycles": rows}, text)
    return rows, path
