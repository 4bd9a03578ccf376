"""The closed loop on a synthetic city, end to end, through the same commands a bureau would run.

synth -> load -> resolve -> network -> scan -> models (train, score) -> scan (expert + model + random) ->
officers -> tasks (generate, push) -> hub cross-checks, their doubts pushed as verification tasks -> allocate ->
simulated responses from the synthetic truth (5 % of planted cases missed) -> cross review, answered by simulated
reviewers who judge each drawn task against the truth -> feedback (task outcomes, verification results back to the
hub, indicator effectiveness) -> model retrain -> integrity scan and cases -> provider ledger and bulletin -> batch
matters -> audit-trail check; then the loop's figures, computed from the workflow store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import typer


@dataclass
class DemoPlan:
    """Where the demo writes and how big the city is."""

    out: Path
    taxpayers: int = 5000
    months: int = 12
    seed: int = 7

    @property
    def city(self) -> Path:
        """The synthetic data set folder."""
        return self.out / "city"

    @property
    def warehouse(self) -> Path:
        """The warehouse folder."""
        return self.out / "warehouse"

    def steps(self) -> list[tuple[str, list[str]]]:
        """(title, CLI arguments) of every step, in order."""
        w, truth, seed = ["--warehouse", str(self.warehouse)], str(self.city / "truth"), str(self.seed)
        return [
            (
                "synthetic city / 合成城市",
                [
                    "synth",
                    str(self.city),
                    "--taxpayers",
                    str(self.taxpayers),
                    "--months",
                    str(self.months),
                    "--seed",
                    seed,
                ],
            ),
            ("load / 加载", ["load", str(self.city), *w]),
            ("entity resolution / 一户一档", ["resolve", *w]),
            ("invoice network / 发票网络", ["network", *w]),
            ("scan (rules) / 规则扫描", ["scan", *w]),
            ("train model / 训练模型", ["models", "train", *w, "--promote", "--seed", seed]),
            ("model scores / 模型评分", ["models", "score", *w]),
            ("scan (rules + model + random) / 综合扫描", ["scan", *w]),
            ("evaluate / 评估", ["evaluate", *w, "--truth", truth]),
            ("officers / 人员", ["officers", "sync", *w]),
            ("generate tasks / 生成任务", ["tasks", "generate", *w]),
            ("push / 推送", ["tasks", "push", *w]),
            ("cross-checks / 第三方比对", ["hub", "crosscheck", *w]),
            ("doubts to verification tasks / 疑点推送核实", ["hub", "push-doubts", *w]),
            ("allocate / 分配", ["tasks", "allocate", *w, "--seed", seed]),
            ("responses (simulated) / 应对（模拟）", ["tasks", "simulate", *w, "--truth", truth, "--seed", seed]),
            ("cross review 10% / 随机复核", ["tasks", "review", *w, "--seed", seed]),
            ("reviews (simulated) / 复核（模拟）", ["tasks", "simulate", *w, "--truth", truth, "--seed", seed]),
            ("feedback / 反馈", ["feedback", *w]),
            ("verification results back / 核实结果回传", ["hub", "doubts-back", *w]),
            ("indicator effectiveness / 指标成效", ["indicators", "report", *w, "--truth", truth]),
            ("retrain / 重新训练", ["models", "retrain", *w]),
            ("integrity scan / 廉政扫描", ["integrity", "scan", *w]),
            ("integrity cases / 廉政案件", ["integrity", "cases", *w]),
            ("provider ledger / 数据台账", ["hub", "ledger", *w]),
            ("batch matters / 批量事项", ["batch", "run", *w, "--as-of", date.today().isoformat()]),
            ("audit trail / 留痕校验", ["audit", "verify", *w]),
        ]


@dataclass
class StepTime:
    """How long one step took."""

    title: str
    seconds: float


@dataclass
class DemoResult:
    """Step timings and where things are."""

    plan: DemoPlan
    times: list[StepTime] = field(default_factory=list)


def run_demo(plan: DemoPlan, app: typer.Typer, echo: Callable[[str], None]) -> DemoResult:
    """Run every step through the CLI app in this process; stops at the first failing step."""
    result = DemoResult(plan)
    steps = plan.steps()
    for i, (title, args) in enumerate(steps, start=1):
        echo(f"\n[{i}/{len(steps)}] {title}: taxloop {' '.join(args)}")
        started = time.perf_counter()
        try:
            code = app(args, standalone_mode=False)
        except SystemExit as exc:
            code = exc.code
        if code not in (0, None):
            raise RuntimeError(f"step {i} ({title}) failed with exit code {code} / 第{i}步失败")
        result.times.append(StepTime(title, time.perf_counter() - started))
    return result
