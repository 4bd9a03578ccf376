"""``taxloop demo``: the whole loop on a synthetic city, then the loop's figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from taxloop.cli.common import console, fail


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add ``demo``."""

    @app.command()
    def demo(
        out: Annotated[Path, typer.Argument(help="Output folder / 输出目录")] = Path("taxloop-demo"),
        taxpayers: Annotated[int, typer.Option(help="Taxpayers in the city / 纳税人数")] = 5000,
        months: Annotated[int, typer.Option(help="Months of data / 月数")] = 12,
        seed: Annotated[int, typer.Option(help="Random seed / 随机种子")] = 7,
    ) -> None:
        """Run the closed loop end to end on a synthetic city / 合成城市全流程闭环演示."""
        from taxloop import bootstrap
        from taxloop.cli.main import build_app
        from taxloop.dashboard.figures import compute
        from taxloop.demo import DemoPlan, run_demo

        plan = DemoPlan(out, taxpayers, months, seed)
        try:
            result = run_demo(plan, build_app(), console.print)
        except RuntimeError as exc:
            raise fail(str(exc)) from exc
        store = bootstrap.workflow_store(bootstrap.load_settings(warehouse=plan.warehouse))
        with store.engine.connect() as conn:
            bureau = compute(conn, "bureau")
        fig = bureau[0] if bureau else None
        table = Table("figure / 指标", "value / 数值", title="closed loop / 闭环结果")
        figures: dict[str, object] = {}
        if fig is not None:
            per_task = float(fig.tax_recovered) / fig.risk_finished if fig.risk_finished else None
            figures = {
                "tasks pushed / 推送任务": fig.pushed,
                "tasks finished / 完成任务": fig.finished,
                "risk tasks finished / 完成风险应对": fig.risk_finished,
                "hit rate / 命中率": fig.hit_rate,
                "tax recovered / 查补税款 (yuan)": float(fig.tax_recovered),
                "recovered per risk task / 户均查补 (yuan)": per_task,
                "overtime rate / 超时率": fig.overtime_rate,
                "review failure rate / 复核不合格率": fig.review_failure_rate,
                "integrity cases / 廉政案件": fig.integrity_cases,
            }
            for k, v in figures.items():
                text = (
                    f"{v:.1%}"
                    if isinstance(v, float) and "rate" in k
                    else (f"{v:,.2f}" if isinstance(v, float) else str(v))
                )
                table.add_row(k, text)
        for t in result.times:
            table.add_row(f"  {t.title}", f"{t.seconds:.1f} s")
        console.print(table)
        report = plan.warehouse / "reports" / "demo.json"
        report.write_text(
            json.dumps(
                {"figures": figures, "steps": [t.__dict__ for t in result.times]},
                ensure_ascii=False,
                indent=2,
                default=str,
            ),
            encoding="utf-8",
        )
        console.print(
            f"web workbench / 工作台: taxloop users from-officers --warehouse {plan.warehouse}; "
            f"taxloop serve --warehouse {plan.warehouse}"
        )
        console.print(f"saved / 已保存: {report}")
