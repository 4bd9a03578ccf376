"""Commands for indicators, scan, scoring, risk list and evaluation (issue 3).

``taxloop indicators lint|list|report``, ``taxloop scan``, ``taxloop evaluate``, ``taxloop export risk-list``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from taxloop.cli.common import BackendOpt, SeedOpt, WarehouseOpt, console, fail

if TYPE_CHECKING:
    import pandas as pd

    from taxloop.analytics.backend import AnalyticsBackend
    from taxloop.config import Settings
    from taxloop.risk.scoring import ScoringParams

FolderOpt = Annotated[
    Path | None, typer.Option("--folder", help="Rule folder (default: the packaged library) / 指标目录")
]


def _backend(warehouse: Path | None, backend: str | None = None) -> tuple[Settings, AnalyticsBackend]:
    from taxloop import bootstrap

    settings = bootstrap.load_settings(warehouse=warehouse)
    return settings, bootstrap.analytics(settings, backend=backend)


def _scoring_params(settings: Settings) -> ScoringParams:
    from taxloop.risk.scoring import ScoringParams

    return ScoringParams(
        scale=settings.score_scale,
        high=settings.score_high,
        medium=settings.score_medium,
        decay=settings.correlation_decay,
        model_share=settings.model_share,
        model_select_threshold=settings.model_select_threshold,
        rarity_reference=settings.score_rarity_reference,
        calibration_prior=settings.score_calibration_prior,
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _hits_frame(backend: AnalyticsBackend) -> pd.DataFrame:
    if not backend.has_table("indicator_hits"):
        raise fail("no indicator_hits in the warehouse: run `taxloop scan` first / 请先运行 taxloop scan")
    return backend.query("SELECT scan_id, code, subject_id, tin, period FROM indicator_hits").to_pandas()


def _indicators_app() -> typer.Typer:
    app = typer.Typer(help="Risk indicator library / 风险指标库", no_args_is_help=True)

    @app.command("lint")
    def lint(folder: FolderOpt = None, warehouse: WarehouseOpt = None) -> None:
        """Validate every rule file: schema, codes, compile for DuckDB and Spark / 校验指标文件."""
        from taxloop.risk.library import lint_library

        known = None
        if warehouse is not None:
            _, backend = _backend(warehouse)
            derived = {"features_period", "features_entity", "network_features", "network_period"}
            known = set(backend.table_names()) | derived
        issues = lint_library(folder, known)
        table = Table("level / 级别", "code / 代码", "problem / 问题", "file / 文件")
        for i in issues:
            table.add_row(i.level, i.code, i.message, i.path)
        if issues:
            console.print(table)
        errors = sum(i.level == "error" for i in issues)
        console.print(
            f"{errors} errors, {len(issues) - errors} warnings / 错误 {errors} 个, 警告 {len(issues) - errors} 个"
        )
        if errors:
            raise typer.Exit(1)

    @app.command("list")
    def list_(
        folder: FolderOpt = None,
        status: Annotated[str, typer.Option(help="active, draft, retired or all")] = "all",
        category: Annotated[str | None, typer.Option(help="Only this category / 类别")] = None,
    ) -> None:
        """List the indicators of the library / 列出指标."""
        from taxloop.risk.library import load_library

        statuses = ("active", "draft", "retired") if status == "all" else (status,)
        specs = [
            s for s in load_library(folder, statuses=statuses, subject=None) if not category or s.category == category
        ]
        table = Table("code", "名称", "name", "category", "severity", "weight", "status", "schemes")
        for s in specs:
            table.add_row(
                s.code, s.name_zh, s.name_en, s.category, s.severity, f"{s.weight:g}", s.status, ";".join(s.schemes)
            )
        console.print(table)
        console.print(f"{len(specs)} indicators / 指标 {len(specs)} 个")

    @app.command("report")
    def report(
        warehouse: WarehouseOpt = None,
        truth: Annotated[
            Path | None, typer.Option("--truth", help="Truth folder of a synthetic city / 真值目录")
        ] = None,
    ) -> None:
        """Effectiveness of each indicator against audit outcomes (and truth) / 指标有效性评估."""
        from taxloop.risk.effectiveness import indicator_report
        from taxloop.risk.evaluate import planted_entities, read_truth_schemes
        from taxloop.risk.pipeline import entity_links

        settings, backend = _backend(warehouse)
        hits = _hits_frame(backend)
        links = entity_links(backend)
        t2e = dict(zip(links["tin"], links["entity_id"], strict=True))
        audits = (
            backend.query("SELECT * FROM audit_outcomes").to_pandas() if backend.has_table("audit_outcomes") else None
        )
        truth_set = set(planted_entities(read_truth_schemes(truth), t2e)["entity_id"]) if truth else None
        frame = indicator_report(hits, audits, t2e, truth_set, links["entity_id"].nunique())
        if audits is None:
            console.print("[yellow]audit_outcomes absent: audit figures skipped / 无稽查结果表, 跳过[/]")
        table = Table(*frame.columns)
        for row in frame.itertuples(index=False):
            table.add_row(*[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row])
        console.print(table)
        out = settings.warehouse / "reports" / "indicator_effectiveness.csv"
        frame.to_csv(out, index=False)
        retire = frame.loc[frame["retire"], "code"].tolist() if "retire" in frame else []
        console.print(f"to retire / 建议停用: {', '.join(retire) or '-'}; saved / 已保存 {out}")

    return app


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this area's commands to the root app (and to ``taxloop export``)."""
    app.add_typer(_indicators_app(), name="indicators")

    @app.command("scan")
    def scan(
        warehouse: WarehouseOpt = None,
        period: Annotated[str | None, typer.Option(help="YYYY, YYYY-MM or YYYY-MM..YYYY-MM / 期间")] = None,
        indicators: Annotated[
            str | None, typer.Option(help="Comma-separated codes (default: all active) / 指标")
        ] = None,
        folder: FolderOpt = None,
        backend: BackendOpt = None,
        seed: SeedOpt = None,
        sample_share: Annotated[
            float | None, typer.Option(help="Random sample share of unflagged / 随机抽样比例")
        ] = None,
        features: Annotated[bool, typer.Option(help="Build the feature layer first / 先计算特征")] = True,
        rebuild_features: Annotated[
            bool,
            typer.Option(
                "--rebuild-features",
                help="Rebuild every feature table, even one whose inputs are unchanged since the last scan"
                " / 即使输入未变也重新计算特征表",
            ),
        ] = False,
    ) -> None:
        """Run the indicator library, score and grade taxpayers / 运行风险扫描并评分分级."""
        from taxloop.features.plan_cache import cache_dir
        from taxloop.risk import lifecycle
        from taxloop.risk.library import apply_decisions, load_library, select_rules
        from taxloop.risk.pipeline import run_scan
        from taxloop.risk.scan import PeriodRange
        from taxloop.rules.spec import RuleFileError

        settings, engine = _backend(warehouse, backend)
        try:
            codes = indicators.split(",") if indicators else None
            every = load_library(folder, statuses=("active", "draft", "retired"))
            specs = select_rules(apply_decisions(every, lifecycle.overrides(engine)), codes=codes)
            periods = PeriodRange.parse(period) if period else None
        except (RuleFileError, ValueError) as exc:
            raise fail(str(exc)) from exc
        if not specs:
            raise fail("no active indicators selected / 没有可运行的指标")
        outcome = run_scan(
            engine,
            specs,
            _scoring_params(settings),
            settings.random_sample_share if sample_share is None else sample_share,
            settings.seed if seed is None else seed,
            periods,
            build_features=features,
            reports_dir=settings.warehouse / "reports",
            prune_features=codes is not None,  # --indicators: only their feature columns, in memory
            plan_cache=cache_dir(settings.plan_cache),
            reuse_features=not rebuild_features,
        )
        engine.close()
        for notice in outcome.notices:  # e.g. TIN keys looked up: the fix
            console.print(f"note / 提示: {notice}", style="yellow", markup=False)
        bad = [r for r in outcome.rules if r.status != "ok"]
        for r in bad:
            console.print(f"[yellow]{r.code}: {r.status} — {r.message}[/]")
        console.print(
            f"scan / 扫描 {outcome.scan_id}: {outcome.hits} hits / 疑点, {outcome.taxpayers} taxpayers / 纳税人; "
            f"levels / 等级 {outcome.levels}; selection / 选案 {outcome.selections}; seconds {outcome.seconds}"
        )
        if any(r.status == "error" for r in bad):
            raise typer.Exit(1)

    @app.command("evaluate")
    def evaluate_cmd(
        truth: Annotated[Path, typer.Option("--truth", help="Truth folder of a synthetic city / 真值目录")],
        warehouse: WarehouseOpt = None,
        k: Annotated[int | None, typer.Option(help="k of precision at k (default: planted count)")] = None,
        folder: FolderOpt = None,
    ) -> None:
        """Precision at k, recall, lift over random per scheme on the synthetic city / 按真值评估."""
        from taxloop.risk.evaluate import TruthError, evaluate, read_truth_schemes
        from taxloop.risk.export import NoScanError, latest_scan_id
        from taxloop.risk.library import load_library
        from taxloop.risk.pipeline import entity_links

        settings, backend = _backend(warehouse)
        try:
            scan_id = latest_scan_id(backend)
            truth_frame = read_truth_schemes(truth)
        except (NoScanError, TruthError) as exc:
            raise fail(str(exc)) from exc
        scores = backend.query(f"SELECT scan_id, entity_id, rank FROM risk_scores WHERE scan_id = '{scan_id}'")
        links = entity_links(backend)
        specs = load_library(folder, statuses=("active", "draft", "retired"), subject=None)
        result = evaluate(
            scores.to_pandas(),
            _hits_frame(backend),
            truth_frame,
            dict(zip(links["tin"], links["entity_id"], strict=True)),
            specs,
            k,
        )
        table = Table(
            "scheme / 方案", "planted", "recall", "recall@k", "best indicator", "best recall", "precision", "lift"
        )
        for s in result.schemes:
            table.add_row(s.scheme, str(s.planted), _fmt(s.recall), _fmt(s.recall_at_k), s.best_indicator,
                          _fmt(s.best_indicator_recall), _fmt(s.targeted_precision), _fmt(s.targeted_lift))  # fmt: skip
        console.print(table)
        console.print(
            f"k={result.k} precision@k={result.precision_at_k:.3f} baseline={result.baseline:.4f} "
            f"lift={result.lift_at_k:.1f}x recall={result.recall:.3f}"
        )
        out = settings.warehouse / "reports" / f"evaluate-{scan_id}.json"
        out.write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(f"targets / 目标: {result.targets_met()}; saved / 已保存 {out}", markup=False)

    @export_app.command("risk-list")
    def export_risk_list(
        out: Annotated[Path, typer.Argument(help="CSV file to write / 输出文件")],
        warehouse: WarehouseOpt = None,
        scan_id: Annotated[str | None, typer.Option(help="Scan id (default: latest) / 扫描编号")] = None,
    ) -> None:
        """Write the risk list in the contract's risk_list form / 导出风险名单."""
        from taxloop.risk.export import NoScanError, risk_list, write_risk_list

        _, backend = _backend(warehouse)
        try:
            rows = write_risk_list(risk_list(backend, scan_id), out)
        except NoScanError as exc:
            raise fail(str(exc)) from exc
        console.print(f"{rows} rows written to / 行已写入 {out}")
