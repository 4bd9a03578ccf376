"""Commands for integrity risk control (issue 6): import-log, scan, rules lint/list, export integrity-list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from taxloop.cli.common import BackendOpt, SeedOpt, WarehouseOpt, console, fail

ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Rule parameter override CODE.name=value / 规则参数覆盖 (repeatable)"),
]
RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Folder of integrity rule files / 廉政规则目录 (default: bundled)")
]


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this area's commands to the root app (and to ``taxloop export``)."""
    integrity = typer.Typer(help="Integrity risk control / 廉政风险防控", no_args_is_help=True)
    rules = typer.Typer(help="Integrity rule files / 廉政指标文件", no_args_is_help=True)
    integrity.add_typer(rules, name="rules")
    app.add_typer(integrity, name="integrity")

    @integrity.command("import-log")
    def import_log(
        path: Annotated[Path, typer.Argument(help="Event log (.xes, .xes.gz, .csv, .csv.gz) / 事件日志")],
        mapping: Annotated[str, typer.Option("--mapping", "-m", help="Mapping file or bundled name / 映射文件")],
        warehouse: WarehouseOpt = None,
    ) -> None:
        """Import an event log as operation_log rows / 导入外部业务系统事件日志."""
        from taxloop import bootstrap
        from taxloop.integrity.eventlog_readers import EventLogError
        from taxloop.integrity.mapping import MappingError, load_mapping
        from taxloop.integrity.service import import_event_log

        if not path.is_file():
            raise fail(f"{path}: no such file / 文件不存在")
        try:
            spec = load_mapping(mapping)
            wh = bootstrap.warehouse(bootstrap.load_settings(warehouse=warehouse))
            with console.status(f"importing {path.name} / 正在导入"):
                report = import_event_log(wh, path, spec)
        except (MappingError, EventLogError) as exc:
            raise fail(str(exc)) from exc
        console.print(
            f"[green]imported / 已导入[/] {report.events} events, {report.cases} cases, {report.officers} officers "
            f"-> {wh.root}/tables/operation_log"
        )
        console.print("actions / 动作: " + ", ".join(f"{k}={v}" for k, v in sorted(report.actions.items())))
        if report.missing_resource:
            console.print(f"[yellow]{report.missing_resource} events without resource -> {spec.missing_resource}[/]")
        if report.unmapped:
            console.print(
                f"[yellow]unmapped activities / 未映射活动: {len(report.unmapped)} kinds, "
                f"{sum(report.unmapped.values())} events (kept with action NULL)[/]"
            )
            for name, count in report.unmapped.most_common(15):
                console.print(f"  {count:>7}  {name}")

    @integrity.command("scan")
    def scan(
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        rules_dir: RulesOpt = None,
        param: ParamOpt = None,
    ) -> None:
        """Run the integrity rules, score officers / 廉政风险扫描与人员评分."""
        from taxloop import bootstrap
        from taxloop.integrity.scan import parse_param_overrides
        from taxloop.integrity.service import run_integrity_scan
        from taxloop.risk.scan import RuleRun
        from taxloop.rules.spec import RuleFileError

        settings = bootstrap.load_settings(warehouse=warehouse)
        try:
            overrides = parse_param_overrides(param or [])
        except ValueError as exc:
            raise fail(str(exc)) from exc
        engine = bootstrap.analytics(settings, backend=backend)
        try:
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed} rules")) as bar:
                task = bar.add_task("integrity scan / 廉政扫描", total=None)

                def tick(run: RuleRun) -> None:
                    bar.update(task, advance=1, description=f"{run.code}: {run.status}")

                summary = run_integrity_scan(
                    engine, rules_dir, overrides, on_rule=tick, reports=bootstrap.warehouse(settings).reports
                )
        except (FileNotFoundError, RuleFileError, ValueError) as exc:
            raise fail(str(exc)) from exc
        finally:
            engine.close()
        table = Table(title=f"integrity scan {summary.scan_id} / 廉政扫描")
        for col in ("rule", "status", "hits", "seconds", "reason"):
            table.add_column(col)
        for r in summary.runs:
            colour = {"ok": "green", "skipped": "yellow"}.get(r.status, "red")
            reason = r.message.splitlines()[0] if r.message else ""
            table.add_row(r.code, f"[{colour}]{r.status}[/]", str(r.hits), f"{r.seconds:.2f}", reason)
        console.print(table)
        console.print(
            f"{summary.hits} hits, {summary.officers} officers ranked in {summary.seconds:.1f}s "
            "-> derived/integrity_hits, derived/integrity_scores"
        )

    @integrity.command("cases")
    def cases(
        warehouse: WarehouseOpt = None,
        top: Annotated[float, typer.Option("--top", help="Share of officers to propose / 立案比例")] = 0.05,
        min_score: Annotated[float, typer.Option("--min-score", help="Smallest score / 最低分")] = 0.0,
        seed: SeedOpt = None,
    ) -> None:
        """Open integrity cases for the top officers and allocate them / 生成并分配廉政核查任务."""
        from taxloop import bootstrap
        from taxloop.integrity.cases import open_cases, propose_cases
        from taxloop.workflow.officer_sync import sync_officers

        settings = bootstrap.load_settings(warehouse=warehouse)
        engine = bootstrap.analytics(settings)
        store = bootstrap.workflow_store(settings)
        try:
            proposals = propose_cases(engine, top, min_score)
            with store.uow(actor="integrity") as uow:
                sync_officers(uow, engine)
                ids, skipped = open_cases(uow, proposals, seed if seed is not None else settings.seed)
                uow.commit()
        except (FileNotFoundError, ValueError) as exc:
            raise fail(str(exc)) from exc
        finally:
            engine.close()
            store.dispose()
        console.print(f"[green]{len(ids)} integrity cases opened / 已立廉政核查任务[/]: {', '.join(ids) or '-'}")
        if skipped:
            console.print(f"[yellow]already under investigation / 已有在办任务: {', '.join(skipped)}[/]")

    @rules.command("lint")
    def lint(folder: Annotated[Path | None, typer.Argument(help="Rules folder / 规则目录")] = None) -> None:
        """Validate every rule file and compile its SQL / 校验规则文件."""
        from taxloop.integrity.scan import integrity_rules_dir
        from taxloop.rules.compile import RuleCompileError, compile_rule
        from taxloop.rules.spec import RuleFileError, load_rules

        try:
            specs = load_rules(folder or integrity_rules_dir())
            for spec in specs:
                if spec.subject == "taxpayer":
                    raise RuleFileError(f"{spec.source}: subject must be officer or case for an integrity rule")
                compile_rule(spec, "duckdb")
        except (RuleFileError, RuleCompileError) as exc:
            raise fail(str(exc)) from exc
        console.print(f"[green]{len(specs)} integrity rules OK / 规则校验通过[/]")

    @rules.command("list")
    def list_rules(folder: Annotated[Path | None, typer.Argument(help="Rules folder / 规则目录")] = None) -> None:
        """List the integrity rules / 列出廉政指标."""
        from taxloop.integrity.scan import load_integrity_rules

        table = Table(title="integrity rules / 廉政指标")
        for col in ("code", "category", "subject", "severity", "name"):
            table.add_column(col)
        for s in load_integrity_rules(folder, include_draft=True):
            table.add_row(s.code, s.category, s.subject, s.severity, f"{s.name_zh} / {s.name_en}")
        console.print(table)

    @export_app.command("integrity-list")
    def export_integrity_list(
        out: Annotated[Path, typer.Argument(help="CSV file to write / 输出文件")],
        warehouse: WarehouseOpt = None,
    ) -> None:
        """Export the integrity list (every officer, rank order) / 导出廉政风险人员清单."""
        from taxloop import bootstrap
        from taxloop.integrity.store import export_integrity_list as export

        engine = bootstrap.analytics(bootstrap.load_settings(warehouse=warehouse))
        try:
            rows = export(engine, out)
        except FileNotFoundError as exc:
            raise fail(str(exc)) from exc
        finally:
            engine.close()
        console.print(f"[green]{rows} officers -> {out}[/]")
