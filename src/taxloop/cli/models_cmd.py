"""Commands for learned risk models (issue 7): ``taxloop models train|list|promote|score|report|retrain|loop``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from taxloop.cli.common import BackendOpt, SeedOpt, WarehouseOpt, console, fail

TruthOpt = Annotated[Path | None, typer.Option("--truth", help="Synthetic truth folder / 合成数据真值目录")]
TreesOpt = Annotated[int, typer.Option("--trees", help="Boosting rounds / 提升树棵数")]


def _context(warehouse: Path | None, backend: str | None, seed: int | None = None) -> tuple[Any, Any, Any]:
    from taxloop import bootstrap
    from taxloop.models.service import registry_for

    settings = bootstrap.load_settings(warehouse=warehouse, seed=seed)
    be = bootstrap.analytics(settings, backend=backend)
    return settings, be, registry_for(settings.warehouse)


def _metrics_table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title)
    for col in rows[0]:
        table.add_column(col, justify="right" if col != "strategy" else "left")
    for row in rows:
        table.add_row(*(f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row.values()))
    return table


def _train(warehouse: Path | None, backend: str | None, seed: int | None, trees: int, promote: bool, note: str) -> str:
    from taxloop.models.dataset import DatasetError
    from taxloop.models.service import train_from_warehouse
    from taxloop.models.training import TrainConfig

    settings, be, registry = _context(warehouse, backend, seed)
    try:
        with console.status("training / 训练中 ..."):
            cfg = TrainConfig(
                n_estimators=trees,
                seed=settings.seed,
                n_jobs=settings.threads or 1,
                model_share=settings.model_share,
            )
            out = train_from_warehouse(be, registry, cfg, note)
    except (DatasetError, ValueError) as exc:
        raise fail(str(exc)) from exc
    finally:
        be.close()
    m = out.model.metrics
    console.print(f"[green]saved model / 已保存模型 {out.version}[/] ({out.labelled} labelled entities; {out.sources})")
    rows = [
        {"strategy": k, **{x: m[k][x] for x in ("precision_at_k", "recall_at_k", "auc_pr")}}
        for k in ("model", "expert", "combination")
        if k in m
    ]
    if rows:
        console.print(_metrics_table("time-split test / 时间切分测试", rows))
    if promote:
        registry.promote(out.version)
        console.print(f"promoted / 已发布 {out.version}")
    return str(out.version)


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this area's commands to the root app (and to ``taxloop export``)."""
    models = typer.Typer(help="Learned risk models / 机器学习风险模型", no_args_is_help=True)
    app.add_typer(models, name="models")

    @models.command("train")
    def train_cmd(
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        seed: SeedOpt = None,
        trees: TreesOpt = 300,
        promote: Annotated[bool, typer.Option("--promote", help="Promote the new version / 立即发布")] = False,
    ) -> None:
        """Train a model on audit and task outcomes; save it in the registry / 训练模型并登记."""
        _train(warehouse, backend, seed, trees, promote, "train")

    @models.command("list")
    def list_cmd(warehouse: WarehouseOpt = None) -> None:
        """List saved model versions / 列出模型版本."""
        from taxloop import bootstrap
        from taxloop.models.service import registry_for

        registry = registry_for(bootstrap.load_settings(warehouse=warehouse).warehouse)
        promoted = registry.promoted()
        table = Table(title="models / 模型")
        for col in ("version", "promoted", "created", "labelled", "window", "AUC-PR model", "AUC-PR expert"):
            table.add_column(col)
        for version in registry.versions():
            card = registry.card(version)
            win, m = card["training_window"], card.get("metrics", {})
            table.add_row(
                version,
                "*" if version == promoted else "",
                card["created_at"],
                str(win.get("labelled_rows")),
                f"{win.get('first_closed_on')}..{win.get('last_closed_on')}",
                f"{m['model']['auc_pr']:.3f}" if "model" in m else "-",
                f"{m['expert']['auc_pr']:.3f}" if "expert" in m else "-",
            )
        console.print(table)

    @models.command("promote")
    def promote_cmd(version: str, warehouse: WarehouseOpt = None) -> None:
        """Make a version the one scoring uses / 发布模型版本."""
        from taxloop import bootstrap
        from taxloop.models.registry import RegistryError
        from taxloop.models.service import registry_for

        registry = registry_for(bootstrap.load_settings(warehouse=warehouse).warehouse)
        try:
            registry.promote(version)
        except RegistryError as exc:
            raise fail(str(exc)) from exc
        console.print(f"promoted / 已发布 {version}")

    @models.command("score")
    def score_cmd(
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        version: Annotated[str | None, typer.Option("--version", help="Default: promoted / 默认已发布版本")] = None,
        explain_top: Annotated[
            int, typer.Option("--explain-top", help="Explain the N top-scored / 解释前 N 户")
        ] = 5000,
    ) -> None:
        """Write model_scores and model_explanations for every taxpayer / 模型评分与解释."""
        from taxloop.models.dataset import DatasetError
        from taxloop.models.registry import RegistryError
        from taxloop.models.service import score_warehouse

        settings, be, registry = _context(warehouse, backend)
        try:
            with console.status("scoring / 评分中 ..."):
                res = score_warehouse(be, registry, version, explain_top=explain_top, model_share=settings.model_share)
        except (DatasetError, RegistryError) as exc:
            raise fail(str(exc)) from exc
        finally:
            be.close()
        console.print(
            f"model_scores: {res['scored']} rows, model_explanations: {res['explanations']} rows ({res['version']})"
        )
        if res["missing_features"]:
            console.print(f"[yellow]features missing now (scored as missing) / 缺失特征:[/] {res['missing_features']}")

    @models.command("report")
    def report_cmd(
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        truth: TruthOpt = None,
        version: Annotated[str | None, typer.Option("--version")] = None,
    ) -> None:
        """Expert rules alone vs model alone vs combination / 专家规则、模型与组合对比评估."""
        from taxloop.models.runs import run_report

        settings, be, registry = _context(warehouse, backend)
        try:
            text = run_report(settings, be, registry, truth, version)
        except (ValueError, FileNotFoundError) as exc:
            raise fail(str(exc)) from exc
        finally:
            be.close()
        console.print(text)

    @models.command("retrain")
    def retrain_cmd(
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        seed: SeedOpt = None,
        trees: TreesOpt = 300,
        promote_if_better: Annotated[
            bool, typer.Option("--promote-if-better/--no-promote", help="Promote when AUC-PR improves / 更优则发布")
        ] = True,
    ) -> None:
        """Retrain with the responses that came back (task_outcomes) / 以任务反馈结果重新训练."""
        from taxloop import bootstrap
        from taxloop.models.service import registry_for

        registry = registry_for(bootstrap.load_settings(warehouse=warehouse).warehouse)
        before = registry.promoted()
        version = _train(warehouse, backend, seed, trees, False, f"retrain (promoted before: {before})")
        new = registry.card(version)["metrics"].get("model", {}).get("auc_pr", 0.0)
        old = registry.card(before)["metrics"].get("model", {}).get("auc_pr", 0.0) if before else -1.0
        console.print(
            f"AUC-PR (time-split) new {new:.3f} vs promoted {before}: {old:.3f}"
            " (each on its own later-outcome test window: a guide, not a paired test / 各自测试窗口，仅供参考)"
        )
        if promote_if_better and new >= old:
            registry.promote(version)
            console.print(f"promoted / 已发布 {version}")

    @models.command("loop")
    def loop_cmd(
        truth: Annotated[Path, typer.Option("--truth", help="Synthetic truth folder (the oracle) / 真值目录")],
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        cycles: Annotated[int, typer.Option("--cycles", help="Push cycles / 推送轮次")] = 4,
        threshold: Annotated[float, typer.Option("--threshold", help="Push when P(finding) >= / 推送阈值")] = 0.5,
        trees: TreesOpt = 300,
        workflow: Annotated[
            bool,
            typer.Option(
                "--workflow/--oracle",
                help="Through the workflow services (tasks, allocation, responses, reviews, feedback, retrain)"
                " or the in-memory oracle / 走流程平台或内存模拟",
            ),
        ] = False,
    ) -> None:
        """Simulate push cycles with retraining; hit rate and tax per task per cycle / 闭环模拟."""
        from taxloop.models.runs import run_loop, run_workflow_loop_report

        settings, be, _ = _context(warehouse, backend)
        try:
            runner = run_workflow_loop_report if workflow else run_loop
            rows, path = runner(settings, be, truth, cycles, threshold, trees)
        except (ValueError, FileNotFoundError) as exc:
            raise fail(str(exc)) from exc
        finally:
            be.close()
        keys = (
            "cycle",
            "policy",
            "tasks",
            "hit_rate",
            "recovered_per_task",
            "expert_tasks",
            "expert_hit_rate",
            "expert_recovered_per_task",
            "random_hit_rate",
        )
        console.print(_metrics_table("closed loop / 闭环", [{k: r.get(k) for k in keys} for r in rows]))
        console.print(f"report / 报告: {path}")
