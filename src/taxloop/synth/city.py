"""Generate a whole synthetic city: every contract table plus the ``truth/`` folder (the orchestration)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from taxloop.synth.annual import cit_returns, land_tables, property_tables
from taxloop.synth.audits import audit_outcomes, scheme_truth
from taxloop.synth.calendar import Calendar
from taxloop.synth.feeds import CustomsMaker, market_registrations
from taxloop.synth.invoices import InvoiceMaker
from taxloop.synth.officers import build_staff
from taxloop.synth.oplog import operation_log
from taxloop.synth.params import SynthParams
from taxloop.synth.population import build_population
from taxloop.synth.registrations import build_registry, changes_table, taxpayers_table
from taxloop.synth.returns import month_returns
from taxloop.synth.schemes import plan_schemes
from taxloop.synth.tables import TableSink, write_table

MONTHLY = ("invoices", "vat_returns", "iit_withholding", "social_insurance", "utilities", "payments",
           "customs_declarations")


def generate_city(out_dir: Path, params: SynthParams, show_progress: bool = True) -> dict[str, int]:
    """Write the data set into ``out_dir`` (created) and the labels into ``out_dir/truth``; returns row counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir = out_dir / "truth"
    truth_dir.mkdir(exist_ok=True)
    fmt = params.fmt
    counts: dict[str, int] = {}
    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                        TimeElapsedColumn(), disable=not show_progress)
    with progress:
        task = progress.add_task("synth: people and firms / 人口与企业", total=params.months + 6)
        cal = Calendar(params)
        pop = build_population(params, cal)
        plan = plan_schemes(params, cal, pop)
        reg = build_registry(params, cal, pop, plan)
        taxpayers, entities = taxpayers_table(params, cal, pop, plan, reg)
        counts["taxpayers"] = write_table(out_dir, "taxpayers", taxpayers, fmt)
        counts["taxpayer_changes"] = write_table(out_dir, "taxpayer_changes",
                                                 changes_table(params, cal, pop, plan, reg), fmt)
        counts["market_registrations"] = write_table(out_dir, "market_registrations",
                                                     market_registrations(params, cal, taxpayers), fmt)
        _write_truth(truth_dir, "entities", entities)
        progress.advance(task)

        n, months = pop.n, params.months
        declared = np.zeros((n, months))
        purchases = np.zeros((n, months))
        payroll = np.zeros((n, months))
        evaded = np.zeros(n)
        invoices = InvoiceMaker(params, cal, pop, plan)
        customs = CustomsMaker(params, pop)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-writer")
        sinks = {t: TableSink(out_dir, t, fmt, partitioned=(t == "invoices"), pool=pool) for t in MONTHLY}
        tins_at = []
        for m in range(months):
            progress.update(task, description=f"synth: month / 月份 {cal.period(m)}")
            tins = reg.tins(m)
            tins_at.append(tins)
            trade = invoices.month(m, tins)
            sinks["invoices"].write(trade.table)
            ret = month_returns(params, cal, pop, plan, m, trade, tins)
            for name, table in ret.tables.items():
                sinks[name].write(table)
            sinks["customs_declarations"].write(customs.month(cal, pop, m, trade.revenue, tins))
            declared[:, m] = ret.declared
            purchases[:, m] = trade.purchases
            payroll[:, m] = ret.payroll
            evaded += ret.evaded + trade.fake_tax
            del trade, ret
            progress.advance(task)
        for name, sink in sinks.items():
            sink.close()
            counts[name] = sink.rows
        pool.shutdown()

        progress.update(task, description="synth: annual returns and assets / 年度申报与财产")
        cit, cit_evaded = cit_returns(params, cal, pop, plan, declared, purchases, payroll, tins_at)
        counts["cit_returns"] = write_table(out_dir, "cit_returns", cit, fmt)
        del declared, purchases, payroll
        tins_last = tins_at[-1]
        parcels, land_returns, land_evaded = land_tables(params, cal, pop, plan, tins_last)
        transfers, transfer_returns, property_evaded = property_tables(params, cal, pop, plan, tins_last)
        counts["land_parcels"] = write_table(out_dir, "land_parcels", parcels, fmt)
        counts["property_transfers"] = write_table(out_dir, "property_transfers", transfers, fmt)
        counts["other_returns"] = write_table(out_dir, "other_returns",
                                              pa.concat_tables([land_returns, transfer_returns]), fmt)
        evaded += cit_evaded + land_evaded + property_evaded
        progress.advance(task)

        progress.update(task, description="synth: officers and operation log / 人员与操作日志")
        staff = build_staff(params, cal, n)
        oplog, officers, violations = operation_log(params, cal, pop, plan, reg, staff)
        counts["officers"] = write_table(out_dir, "officers", officers, fmt)
        counts["operation_log"] = write_table(out_dir, "operation_log", oplog, fmt)
        _write_truth(truth_dir, "integrity_violations", violations)
        progress.advance(task)

        progress.update(task, description="synth: audits and truth / 稽查结果与真值")
        counts["audit_outcomes"] = write_table(out_dir, "audit_outcomes",
                                               audit_outcomes(params, cal, pop, plan, reg, evaded), fmt)
        schemes, gangs = scheme_truth(plan, reg, evaded, months)
        _write_truth(truth_dir, "taxpayer_schemes", schemes)
        _write_truth(truth_dir, "gangs", gangs)
        progress.advance(task, 3)
    manifest = {"seed": params.seed, "taxpayers": params.taxpayers, "months": params.months,
                "start": params.start, "format": fmt, "rows": counts}
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return counts


def _write_truth(truth_dir: Path, name: str, table: pa.Table) -> None:
    pacsv.write_csv(table, truth_dir / f"{name}.csv")
