"""Commands for risk-response tasks: generate, push, allocate, recheck, list, respond, review, simulate (issue 5).

Every command is recorded in the audit trail (``cli.<command>``) together with the state changes it makes
(``taxloop.cli.workflow_session``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from taxloop.cli.common import SeedOpt, WarehouseOpt, console, fail
from taxloop.cli.workflow_session import ActorOpt, session


def _tasks_table(items: list[Any]) -> Table:
    table = Table(
        Column("task / 任务", no_wrap=True, min_width=max((len(t.task_id) for t in items), default=4)),
        "kind / 类型",
        "entity / 纳税人",
        "region / 区域",
        "status / 状态",
        "officer / 人员",
        "week / 周",
        "due / 期限",
        "finding / 结论",
    )
    for t in items:
        table.add_row(
            t.task_id,
            t.kind,
            t.entity_id or t.subject_officer_id or "",
            t.region_code,
            t.status,
            t.assignee_id or "",
            t.push_week or "",
            f"{t.due_at:%Y-%m-%d}" if t.due_at else "",
            t.finding or "",
        )
    return table


def _parse_record(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--record expects key=value, got {item!r} / 记录字段格式应为 键=值")
        out[key.strip()] = value.strip()
    return out


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add the ``tasks`` commands to the root app."""
    tasks_app = typer.Typer(help="Risk-response tasks / 风险应对任务", no_args_is_help=True)
    app.add_typer(tasks_app, name="tasks")

    @tasks_app.command("generate")
    def generate(
        warehouse: WarehouseOpt = None,
        actor: ActorOpt = "system",
        scan_id: Annotated[str | None, typer.Option(help="Scan to use (default: latest) / 扫描批次")] = None,
        levels: Annotated[str, typer.Option(help="Risk levels that get a task / 生成任务的风险等级")] = "high,medium",
        weekly_quota: Annotated[int | None, typer.Option(help="Tasks per region per week / 每区每周推送量")] = None,
    ) -> None:
        """One task per resolved taxpayer of a scan, with its push plan / 按纳税人生成任务."""
        from taxloop.workflow.generation import generate_tasks

        args = {"scan_id": scan_id, "levels": levels, "weekly_quota": weekly_quota}
        with session(warehouse, actor, "tasks.generate", args) as ctx:
            quota = weekly_quota or ctx.settings.push_weekly_quota
            res = generate_tasks(ctx.uow, ctx.backend(), scan_id, tuple(levels.split(",")), quota)
        console.print(
            f"batch / 批次 {res.batch_id} (scan {res.scan_id}): created / 新建 {res.created}, "
            f"random sample / 随机抽样 {res.random_sample}, already covered / 已有在办 {res.skipped_covered}"
        )
        plan = Table("region / 区域", "week / 周", "tasks / 任务数")
        for region, weeks in res.plan.items():
            for week, n in weeks.items():
                plan.add_row(region, week, str(n))
        console.print(plan)

    @tasks_app.command("push")
    def push(
        warehouse: WarehouseOpt = None,
        actor: ActorOpt = "system",
        week: Annotated[str | None, typer.Option(help="Push up to this ISO week, e.g. 2026-W48 / 推送至该周")] = None,
    ) -> None:
        """Push the tasks planned up to a week / 按计划推送任务."""
        from taxloop.workflow.generation import push_tasks

        with session(warehouse, actor, "tasks.push", {"week": week}) as ctx:
            n = push_tasks(ctx.uow, week)
        console.print(f"pushed / 已推送: {n}")

    @tasks_app.command("allocate")
    def allocate_cmd(
        warehouse: WarehouseOpt = None,
        actor: ActorOpt = "system",
        seed: SeedOpt = None,
        kind: Annotated[str, typer.Option(help="risk, review or integrity / 任务类型")] = "risk",
    ) -> None:
        """Seeded random allocation of pushed tasks / 随机分配任务."""
        from taxloop.workflow.assign import allocate_tasks
        from taxloop.workflow.review import allocate_integrity_cases, allocate_reviews

        with session(warehouse, actor, "tasks.allocate", {"seed": seed, "kind": kind}) as ctx:
            s = seed if seed is not None else ctx.settings.seed
            if kind == "review":
                run = allocate_reviews(ctx.uow, s)
            elif kind == "integrity":
                run = allocate_integrity_cases(ctx.uow, s)
            else:
                run = allocate_tasks(ctx.uow, s, kind=kind, rotation_depth=ctx.settings.rotation_depth)
        console.print(
            f"run / 分配批次 {run.run_id} seed {run.seed}: allocated / 已分配 {run.allocated}, "
            f"unallocated / 未分配 {len(run.unallocated)}, conflicts excluded / 回避 {run.conflicts_excluded}"
        )

    @tasks_app.command("recheck")
    def recheck_cmd(run_id: str, warehouse: WarehouseOpt = None, actor: ActorOpt = "system") -> None:
        """Redo a recorded allocation draw from its inputs and compare / 复核分配结果."""
        from taxloop.workflow.assign import recheck_run

        with session(warehouse, actor, "tasks.recheck", {"run_id": run_id}) as ctx:
            diff = recheck_run(ctx.uow, run_id)
        if diff:
            raise fail(f"{len(diff)} assignments differ from the recorded draw / 与记录不符: {diff[:10]}", 1)
        console.print(f"run {run_id}: every assignment confirmed / 分配结果复核一致")

    @tasks_app.command("list")
    def list_cmd(
        warehouse: WarehouseOpt = None,
        actor: ActorOpt = "system",
        role: Annotated[str, typer.Option(help="Viewer's role / 查看人角色")] = "inspector",
        status: str | None = None,
        kind: str | None = None,
        assignee: str | None = None,
        limit: int = 50,
        overdue: Annotated[bool, typer.Option(help="Only open tasks past their deadline / 仅超期未办")] = False,
    ) -> None:
        """List the tasks the viewer may see / 任务列表."""
        from taxloop.workflow.models import INTEGRITY_VIEWERS
        from taxloop.workflow.officer_sync import list_tasks
        from taxloop.workflow.responses import overdue_open

        with session(warehouse, actor, "tasks.list", {"role": role, "status": status, "kind": kind}) as ctx:
            if overdue:
                items = [t for t in overdue_open(ctx.uow) if not t.restricted or role in INTEGRITY_VIEWERS][:limit]
            else:
                items = list_tasks(ctx.uow, role, status, kind, assignee, limit)
        console.print(_tasks_table(items))

    @tasks_app.command("respond")
    def respond_cmd(
        task_id: str,
        officer: Annotated[str, typer.Option(help="Responding officer / 应对人")],
        finding: Annotated[str, typer.Option(help="no_issue, adjusted or fraud / 结论")],
        warehouse: WarehouseOpt = None,
        tax: Annotated[str, typer.Option(help="Tax recovered (yuan) / 查补税款")] = "0",
        steps: Annotated[str, typer.Option(help="Steps done, comma separated / 已办环节")] = "",
        record: Annotated[list[str] | None, typer.Option(help="Record field key=value (repeat) / 记录字段")] = None,
        output: Annotated[list[str] | None, typer.Option(help="Output document (repeat) / 文书")] = None,
        evidence: Annotated[list[str] | None, typer.Option(help="Evidence reference (repeat) / 证据")] = None,
        override_by: Annotated[str | None, typer.Option(help="Higher-level officer overriding a block")] = None,
    ) -> None:
        """Answer a task against its matter's standard / 提交应对结果."""
        from taxloop.workflow.models import ResponseInput
        from taxloop.workflow.responses import respond

        try:
            amount = Decimal(tax)
        except InvalidOperation:
            raise fail(f"--tax {tax!r} is not an amount / 金额格式错误") from None
        answer = ResponseInput.model_validate(
            {
                "steps": [s for s in steps.split(",") if s],
                "record": _parse_record(record or []),
                "outputs": output or [],
                "evidence": evidence or [],
                "finding": finding,
                "tax_recovered": amount,
            }
        )
        with session(warehouse, officer, "tasks.respond", {"task_id": task_id}) as ctx:
            from taxloop import bootstrap

            guard = bootstrap.step_guard(ctx.settings, ctx.backend())
            t = respond(ctx.uow, task_id, officer, answer, override_by=override_by, guard=guard)
        console.print(f"{t.task_id}: {t.status} / 已完成, finding {t.finding}, overdue / 超期 {t.overdue}")

    @tasks_app.command("review")
    def review_cmd(
        warehouse: WarehouseOpt = None,
        actor: ActorOpt = "system",
        seed: SeedOpt = None,
        share: Annotated[float | None, typer.Option(help="Share of finished tasks / 复核比例")] = None,
    ) -> None:
        """Draw finished tasks for cross review and allocate them to another unit / 随机抽取复核."""
        from taxloop.workflow.review import allocate_reviews, select_for_review

        with session(warehouse, actor, "tasks.review", {"seed": seed, "share": share}) as ctx:
            s = seed if seed is not None else ctx.settings.seed
            picked = select_for_review(ctx.uow, share if share is not None else ctx.settings.review_share, s)
            run = allocate_reviews(ctx.uow, s, [t.task_id for t in picked])
        console.print(f"review tasks / 复核任务: {len(picked)}, allocated / 已分配 {run.allocated}")

    @tasks_app.command("review-submit")
    def review_submit_cmd(
        review_task_id: str,
        reviewer: Annotated[str, typer.Option(help="Reviewing officer / 复核人")],
        warehouse: WarehouseOpt = None,
        standard_followed: Annotated[bool, typer.Option(help="Standard followed / 执行标准")] = True,
        policy_right: Annotated[bool, typer.Option(help="Policy applied right / 政策适用正确")] = True,
        result_fair: Annotated[bool, typer.Option(help="Result fair / 结果公正")] = True,
        integrity_doubt: Annotated[bool, typer.Option(help="Integrity doubts / 廉政疑点")] = False,
        note: str = "",
    ) -> None:
        """Record a cross review; integrity doubts open an integrity case / 提交复核意见."""
        from taxloop.workflow.models import ReviewInput
        from taxloop.workflow.review import submit_review

        result = ReviewInput(
            standard_followed=standard_followed,
            policy_right=policy_right,
            result_fair=result_fair,
            integrity_doubt=integrity_doubt,
            note=note,
        )
        with session(warehouse, reviewer, "tasks.review-submit", {"review_task_id": review_task_id}) as ctx:
            case = submit_review(ctx.uow, review_task_id, reviewer, result)
        console.print(
            f"review {review_task_id} recorded / 复核已记录" + (f"; integrity case / 廉政案件 {case}" if case else "")
        )

    @tasks_app.command("simulate")
    def simulate_cmd(
        truth: Annotated[Path, typer.Option(help="Synthetic truth folder / 真值目录")],
        warehouse: WarehouseOpt = None,
        actor: ActorOpt = "simulator",
        seed: SeedOpt = None,
        miss_share: Annotated[float, typer.Option(help="Share of planted cases answered no_issue / 漏查比例")] = 0.05,
    ) -> None:
        """Answer allocated risk and review tasks as the synthetic truth says (demo) / 模拟应对与复核."""
        from taxloop.workflow.simulate import simulate_responses, simulate_reviews

        with session(warehouse, actor, "tasks.simulate", {"truth": str(truth)}) as ctx:
            s = seed if seed is not None else ctx.settings.seed
            res = simulate_responses(ctx.uow, truth, s, miss_share=miss_share)
            rev = simulate_reviews(ctx.uow, truth)
        console.print(
            f"answered / 已应对 {res.answered}: {dict(res.findings)}, missed / 漏查 {res.missed}, "
            f"overdue / 超期 {res.overdue}, tax recovered / 查补 {res.tax_recovered}; "
            f"reviews / 复核 {rev.reviewed}, failed / 不合格 {rev.failed}"
        )
