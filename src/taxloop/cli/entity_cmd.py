"""Commands for entity resolution, profile and invoice network (issue 4).

``resolve`` (一户一档 entity resolution), ``explain-pair`` (why two records are one taxpayer),
``profile`` (一户式画像), ``network`` (发票网络分析) and ``gangs`` (团伙报告).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from taxloop.cli.common import BackendOpt, SeedOpt, WarehouseOpt, console, fail


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console)


def _kv(title: str, data: dict[str, object]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("key")
    table.add_column("value", overflow="fold")
    for k, v in data.items():
        table.add_row(k, str(v))
    return table


def register(app: typer.Typer, export_app: typer.Typer) -> None:
    """Add this area's commands to the root app (and to ``taxloop export``)."""

    @app.command("resolve")
    def resolve_cmd(
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        seed: SeedOpt = None,
        threshold: Annotated[float, typer.Option(help="Match probability to merge / 合并阈值")] = 0.95,
        same_tin: Annotated[
            bool, typer.Option(help="Always merge records with one TIN or TIN chain / 同税号合并")
        ] = True,
        max_comparisons_per_record: Annotated[
            float | None,
            typer.Option(
                min=0,
                help="Refuse when a blocking rule makes more than records × N comparisons (at least 100,000); "
                "0 = no check; default 10 (TAXLOOP_RESOLVE_MAX_COMPARISONS_PER_RECORD) / 每条记录比较数上限",
            ),
        ] = None,
    ) -> None:
        """Resolve registration records into taxpayers / 实体识别（一户一档）.

        Before training, every blocking rule's comparisons are counted (a GROUP BY, no pair built); a
        rule above the limit stops the run with its largest blocks named / 训练前统计分块比较数，超限即停止.
        """
        from rich.markup import escape

        from taxloop import bootstrap
        from taxloop.entity.model import ModelOptions
        from taxloop.entity.resolve import resolve

        settings = bootstrap.load_settings(warehouse=warehouse, seed=seed)
        per_record = settings.resolve_max_comparisons_per_record
        if max_comparisons_per_record is not None:
            per_record = max_comparisons_per_record
        options = ModelOptions(seed=settings.seed, max_comparisons_per_record=per_record)
        be = bootstrap.analytics(settings, backend=backend)
        wh = bootstrap.warehouse(settings)
        try:
            with _progress() as progress:
                task = progress.add_task("entity resolution / 实体识别")
                report = resolve(
                    be,
                    wh.reports,
                    threshold,
                    options,
                    same_tin,
                    step=lambda m: progress.update(task, description=m),
                )
        except ValueError as exc:  # BlockingExplosionError included: its bilingual message, no traceback
            raise fail(escape(str(exc))) from exc
        finally:
            be.close()
        data = report.model_dump()
        data["cluster_sizes"] = ", ".join(f"{k}:{v}" for k, v in report.cluster_sizes.items())
        console.print(_kv("实体识别报告 Resolve report", data))

    @app.command("explain-pair")
    def explain_cmd(
        left: Annotated[str, typer.Argument(help="registration_id")],
        right: Annotated[str, typer.Argument(help="registration_id")],
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
    ) -> None:
        """Why two registration records are (not) one taxpayer / 解释两条记录的匹配."""
        from taxloop import bootstrap
        from taxloop.entity.explain import explain_pair

        settings = bootstrap.load_settings(warehouse=warehouse)
        be = bootstrap.analytics(settings, backend=backend)
        try:
            ex = explain_pair(be, bootstrap.warehouse(settings).reports, left, right)
        except (ValueError, FileNotFoundError) as exc:
            raise fail(str(exc)) from exc
        finally:
            be.close()
        table = Table(title=f"{ex.registration_id_l} ~ {ex.registration_id_r}", title_justify="left")
        for col in ("comparison / 比较项", "level / 级别", "m", "u", "weight / 权重"):
            table.add_column(col)
        table.add_row("prior / 先验", "", "", "", f"{ex.prior_weight:+.2f}")
        for lv in ex.levels:
            table.add_row(
                f"{lv.label_zh} {lv.label_en}",
                lv.level,
                f"{lv.m_probability or 0:.4f}",
                f"{lv.u_probability or 0:.6f}",
                f"{lv.match_weight:+.2f}",
            )
        table.caption = (
            f"match weight / 匹配权重 {ex.match_weight:+.2f}, probability / 概率 {ex.match_probability:.4f}, "
            f"same entity / 同一实体: {ex.same_entity}"
        )
        console.print(table)

    @app.command("profile")
    def profile_cmd(
        key: Annotated[str, typer.Argument(help="entity_id, TIN or registration_id / 实体号、税号或登记号")],
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON / 输出JSON")] = False,
    ) -> None:
        """360° taxpayer profile / 一户式画像."""
        from taxloop import bootstrap
        from taxloop.profile.render import render_profile
        from taxloop.profile.service import build_profile

        settings = bootstrap.load_settings(warehouse=warehouse)
        be = bootstrap.analytics(settings, backend=backend)
        try:
            profile = build_profile(be, key)
        except LookupError as exc:
            raise fail(str(exc)) from exc
        finally:
            be.close()
        if as_json:
            typer.echo(profile.model_dump_json(indent=1))
        else:
            console.print(render_profile(profile))

    @app.command("network")
    def network_cmd(
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        start: Annotated[str | None, typer.Option(help="First invoice date YYYY-MM-DD / 起始日期")] = None,
        end: Annotated[str | None, typer.Option(help="Last invoice date YYYY-MM-DD / 截止日期")] = None,
        min_value: Annotated[
            float | None, typer.Option(help="Smallest flow for roles (default: median) / 金额门槛")
        ] = None,
    ) -> None:
        """Invoice network: features, cycles, roles, gangs / 发票网络分析."""
        from taxloop import bootstrap
        from taxloop.entity.resolve import identity_entity_map
        from taxloop.network.analyze import NetworkOptions, analyze_network
        from taxloop.network.features import Window
        from taxloop.network.roles import RoleOptions

        settings = bootstrap.load_settings(warehouse=warehouse)
        be = bootstrap.analytics(settings, backend=backend)
        options = NetworkOptions(window=Window(start, end), roles=RoleOptions(min_value=min_value))
        options.gangs.seed = settings.seed
        try:
            if not be.has_table("entity_map") and be.has_table("taxpayers"):
                identity_entity_map(be)
            with _progress() as progress:
                task = progress.add_task("network / 网络分析")
                report = analyze_network(be, options, step=lambda m: progress.update(task, description=m))
        except ValueError as exc:
            raise fail(str(exc)) from exc
        finally:
            be.close()
        console.print(_kv("发票网络报告 Network report", report.model_dump()))

    @app.command("gangs")
    def gangs_cmd(
        warehouse: WarehouseOpt = None,
        backend: BackendOpt = None,
        limit: Annotated[int, typer.Option(help="Gangs to show / 显示团伙数")] = 20,
    ) -> None:
        """Gangs with members and roles / 团伙报告（成员与角色）."""
        from taxloop import bootstrap
        from taxloop.network.roles import ROLE_LABELS

        settings = bootstrap.load_settings(warehouse=warehouse)
        be = bootstrap.analytics(settings, backend=backend)
        try:
            if not be.has_table("gangs"):
                raise fail("no gangs table: run `taxloop network` first / 请先运行网络分析")
            rows = be.query(
                "WITH s AS (SELECT gang_id, count(*) AS n FROM gangs GROUP BY 1) "
                "SELECT g.*, s.n FROM gangs g JOIN s USING (gang_id) ORDER BY s.n DESC, g.gang_id, g.role, g.tin"
            ).to_pylist()
        finally:
            be.close()
        tables: dict[str, Table] = {}
        for row in rows:
            if row["gang_id"] not in tables:
                if len(tables) >= limit:
                    break
                table = Table(title=f"团伙 Gang {row['gang_id']} ({row['n']} members / 成员)", title_justify="left")
                for col in ("tin", "role / 角色", "evidence / 依据"):
                    table.add_column(col, overflow="fold")
                tables[row["gang_id"]] = table
            en, zh = ROLE_LABELS.get(row["role"], (row["role"], row["role"]))
            tables[row["gang_id"]].add_row(row["tin"], f"{zh} {en}", row["evidence"])
        for table in tables.values():
            console.print(table)
        console.print(f"{len({r['gang_id'] for r in rows})} gangs / 个团伙, {len(rows)} members / 名成员")
