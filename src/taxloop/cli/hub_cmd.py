"""Commands for the data-sharing hub (``taxloop hub ...``) and batch matters (``taxloop batch ...``)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from taxloop.cli.common import WarehouseOpt, console, fail


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``hub`` and ``batch`` command groups."""
    hub = typer.Typer(
        help="Data-sharing hub: providers, agreements, ledger, cross-checks / 涉税数据共享平台", no_args_is_help=True
    )
    batch = typer.Typer(help="Batch matters with zero human touch / 批量事项自动办理", no_args_is_help=True)
    app.add_typer(hub, name="hub")
    app.add_typer(batch, name="batch")

    @hub.command("providers")
    def providers() -> None:
        """List providers and their agreements / 数据提供部门与共享协议."""
        from taxloop.hub.registry import load_registry

        reg = load_registry()
        t = Table("部门 Provider", "数据 Tables", "密级 Class.", "用途 Purpose", "可用角色 Roles", "报送 Due day")
        for p in reg.providers:
            for tbl in p.tables:
                ag = reg.agreement(tbl)
                assert ag is not None
                t.add_row(
                    f"{p.name_zh}\n{p.name_en} ({p.code})",
                    tbl,
                    ag.classification,
                    ag.purpose,
                    ", ".join(ag.roles),
                    str(p.schedule.due_day),
                )
        console.print(t)

    @hub.command("ledger")
    def ledger(warehouse: WarehouseOpt = None) -> None:
        """Build and print the provider ledger / 数据质量台账."""
        from taxloop import bootstrap
        from taxloop.hub.ledger import build_ledger
        from taxloop.hub.registry import load_registry

        be = bootstrap.analytics(bootstrap.load_settings(warehouse=warehouse))
        rows = build_ledger(be, load_registry()).to_pylist()
        t = Table(
            "部门 Provider",
            "表 Table",
            "期 Period",
            "交付 Rows",
            "拒收 Rejected",
            "重复 Dup.",
            "及时 On time",
            "覆盖 Coverage",
        )
        for r in rows:
            cov = "n/a" if r["coverage"] is None else f"{r['coverage']:.1%}"
            t.add_row(
                r["provider"],
                r["tbl"],
                r["period"],
                f"{r['rows_delivered']:,}",
                f"{r['rows_rejected']:,}",
                str(r["duplicates"]),
                f"{r['on_time_share']:.1%}",
                cov,
            )
        console.print(t)

    @hub.command("bulletin")
    def bulletin(
        period: Annotated[str, typer.Option(help="Month YYYY-MM / 月份")],
        out: Annotated[Path, typer.Option(help="Output folder / 输出目录")] = Path("bulletin"),
        warehouse: WarehouseOpt = None,
    ) -> None:
        """Write the monthly provider bulletin as HTML and PDF / 生成数据共享质量通报."""
        from taxloop import bootstrap
        from taxloop.hub.bulletin import rank_providers, render_html, render_pdf
        from taxloop.hub.ledger import build_ledger
        from taxloop.hub.registry import load_registry

        reg = load_registry()
        be = bootstrap.analytics(bootstrap.load_settings(warehouse=warehouse))
        marks = rank_providers(build_ledger(be, reg).to_pylist(), period, reg)
        if not marks:
            raise fail(f"no third-party deliveries for {period} / 该月无共享数据")
        out.mkdir(parents=True, exist_ok=True)
        (out / f"bulletin-{period}.html").write_text(render_html(marks, period), encoding="utf-8")
        render_pdf(marks, period, out / f"bulletin-{period}.pdf")
        for m in marks:
            console.print(f"{m.rank}. {m.name_zh} / {m.name_en}: {m.mark}")
        console.print(f"written / 已生成: {out}/bulletin-{period}.html, .pdf")

    @hub.command("crosscheck")
    def crosscheck(warehouse: WarehouseOpt = None) -> None:
        """Run cross-checks; doubts go to hub_doubts / 第三方数据比对，生成疑点."""
        from taxloop import bootstrap
        from taxloop.hub.crosscheck import doubt_summary, run_crosschecks
        from taxloop.hub.registry import load_registry

        be = bootstrap.analytics(bootstrap.load_settings(warehouse=warehouse))
        doubts, skipped = run_crosschecks(be, load_registry())
        for s in skipped:
            console.print(f"[yellow]skipped / 跳过[/]: {s}")
        t = Table("部门 Provider", "比对 Check", "疑点 Doubts", "已核实 Verified", "确认 Confirmed")
        for r in doubt_summary(be).to_pylist():
            t.add_row(r["provider"], r["check_code"], str(r["doubts"]), str(r["verified"]), str(r["confirmed"]))
        console.print(t)
        console.print(f"doubts / 疑点: {doubts.num_rows}")

    @hub.command("verify")
    def verify(
        results: Annotated[Path, typer.Argument(help="CSV: doubt_id,confirmed,tax_recovered,note")],
        warehouse: WarehouseOpt = None,
    ) -> None:
        """Record verification results of doubts / 回填疑点核实结果."""
        from taxloop import bootstrap
        from taxloop.hub.crosscheck import record_verifications

        with results.open(encoding="utf-8", newline="") as fh:
            rows = [
                {**r, "confirmed": r.get("confirmed", "").strip().lower() in ("1", "true", "yes", "y")}
                for r in csv.DictReader(fh)
            ]
        be = bootstrap.analytics(bootstrap.load_settings(warehouse=warehouse))
        try:
            n = record_verifications(be, rows)
        except ValueError as exc:
            raise fail(f"{results}: {exc}") from exc
        console.print(f"verifications stored / 核实结果: {n}")

    @hub.command("push-doubts")
    def push_doubts_cmd(warehouse: WarehouseOpt = None) -> None:
        """Push doubts to the bureau as verification tasks / 疑点推送为核实任务."""
        from taxloop import bootstrap
        from taxloop.hub.doubt_tasks import push_doubts

        settings = bootstrap.load_settings(warehouse=warehouse)
        store = bootstrap.workflow_store(settings)
        with store.uow("hub") as uow:
            created = push_doubts(uow, bootstrap.analytics(settings))
            uow.commit()
        console.print(f"verification tasks pushed / 已推送核实任务: {len(created)}")

    @hub.command("doubts-back")
    def doubts_back_cmd(warehouse: WarehouseOpt = None) -> None:
        """Feed finished verification tasks back to the hub / 核实结果回传."""
        from taxloop import bootstrap
        from taxloop.hub.doubt_tasks import doubts_back

        settings = bootstrap.load_settings(warehouse=warehouse)
        store = bootstrap.workflow_store(settings)
        with store.uow("hub") as uow:
            n = doubts_back(uow, bootstrap.analytics(settings))
            uow.commit()
        console.print(f"doubts verified / 已回传疑点: {n}")

    @batch.command("list")
    def batch_list() -> None:
        """List batch matters / 批量事项清单."""
        from taxloop.batch.spec import load_batch_matters

        t = Table("代码 Code", "名称 Name", "渠道 Channel", "状态 Status")
        for m in load_batch_matters():
            t.add_row(m.code, f"{m.name_zh}\n{m.name_en}", m.channel, m.status)
        console.print(t)

    @batch.command("run")
    def batch_run(
        as_of: Annotated[str, typer.Option(help="Run date YYYY-MM-DD / 运行日期")] = "", warehouse: WarehouseOpt = None
    ) -> None:
        """Run every active batch matter; a rerun sends nothing twice / 运行批量事项（幂等）."""
        from taxloop import bootstrap
        from taxloop.batch.service import run_configured

        settings = bootstrap.load_settings(warehouse=warehouse)
        try:
            day = date.fromisoformat(as_of) if as_of else date.today()
        except ValueError as exc:
            raise fail(f"--as-of {as_of!r} is not a date YYYY-MM-DD") from exc
        report = run_configured(settings, day)
        t = Table("事项 Matter", "选中 Selected", "新增 New", "已发 Already", "跳过 Skipped")
        for m in report.matters:
            t.add_row(m.code, str(m.selected), str(m.new), str(m.already), m.skipped_reason)
        console.print(t)
        console.print(f"run {report.run_id}: sent / 已发送 {report.sent}, failed / 失败 {report.failed}")
