"""Commands for the matter catalogue, the audit trail, officers and outcome feedback (issue 5).

Commands that change the workflow store are recorded in the audit trail (``taxloop.cli.workflow_session``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from taxloop.cli.common import WarehouseOpt, console, fail
from taxloop.cli.workflow_session import ActorOpt, session


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add the ``matters``, ``audit``, ``officers`` and ``feedback`` commands to the root app."""
    matters_app = typer.Typer(help="Matter catalogue / 事项目录", no_args_is_help=True)
    audit_app = typer.Typer(help="Tamper-evident audit trail / 防篡改留痕", no_args_is_help=True)
    officers_app = typer.Typer(help="Officers in the workflow store / 人员", no_args_is_help=True)
    app.add_typer(matters_app, name="matters")
    app.add_typer(audit_app, name="audit")
    app.add_typer(officers_app, name="officers")

    @officers_app.command("sync")
    def officers_sync(warehouse: WarehouseOpt = None, actor: ActorOpt = "system") -> None:
        """Copy the warehouse's officers table into the workflow store / 同步人员."""
        from taxloop.workflow.officer_sync import sync_officers

        with session(warehouse, actor, "officers.sync", {}) as ctx:
            n = sync_officers(ctx.uow, ctx.backend(), ctx.settings.officer_capacity)
        console.print(f"officers synced / 已同步人员: {n}")

    @matters_app.command("lint")
    def matters_lint(folder: Annotated[Path | None, typer.Argument(help="Folder of matter files")] = None) -> None:
        """Validate matter files / 校验事项文件."""
        from taxloop.workflow.matters import LIBRARY, lint

        good, errors = lint(folder or LIBRARY)
        for e in errors:
            console.print(f"[red]{e}[/]")
        console.print(f"{len(good)} matters ok / 事项合格, {len(errors)} bad / 不合格")
        if errors:
            raise typer.Exit(1)

    @matters_app.command("list")
    def matters_list() -> None:
        """List the matter catalogue / 事项目录."""
        from taxloop.workflow.matters import default_catalogue

        table = Table("code", "名称", "name", "power / 权力事项", "level / 层级", "days / 时限")
        for m in default_catalogue().matters.values():
            table.add_row(
                m.code,
                m.name_zh,
                m.name_en,
                "yes/是" if m.power_matter else "no/否",
                str(m.authority_level),
                str(m.deadline_days),
            )
        console.print(table)

    @audit_app.command("verify")
    def audit_verify(warehouse: WarehouseOpt = None) -> None:
        """Recompute the hash chain; name the first edited, deleted or moved event / 校验留痕链."""
        from taxloop import bootstrap
        from taxloop.workflow.audit import verify

        store = bootstrap.workflow_store(bootstrap.load_settings(warehouse=warehouse))
        try:
            with store.uow() as uow:
                rep = verify(uow.conn)
        finally:
            store.dispose()
        if not rep.ok:
            raise fail(f"audit trail broken at event {rep.first_bad_seq}: {rep.reason} / 留痕链被破坏", 1)
        console.print(f"audit trail intact / 留痕链完整: {rep.events} events, {rep.anchors} anchors")

    @app.command("feedback")
    def feedback_cmd(warehouse: WarehouseOpt = None, actor: ActorOpt = "system") -> None:
        """Write task outcomes and indicator effectiveness to the warehouse / 结果反馈."""
        from taxloop.workflow.feedback import write_effectiveness

        with session(warehouse, actor, "feedback", {}) as ctx:
            eff = write_effectiveness(ctx.uow, ctx.backend())
        table = Table("indicator / 指标", "tasks / 任务", "productive / 有效", "hit rate / 命中率", "recovered / 查补")
        for r in eff:
            table.add_row(
                r["code"], str(r["tasks"]), str(r["productive"]), f"{r['hit_rate']:.1%}", f"{r['tax_recovered']:,.2f}"
            )
        console.print(table)
