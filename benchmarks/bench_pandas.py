"""Benchmark: ten representative indicators written the way an analyst would in plain pandas, against the engine.

    PYTHONPATH=src python benchmarks/bench_pandas.py --warehouse /tmp/bench/wh

The analyst reads the raw contract tables with ``pandas.read_parquet``, builds monthly aggregates per TIN with
``groupby`` and applies each indicator's condition (parameters read from the same rule files). The engine builds
the feature columns those ten rule files read (as ``taxloop scan --indicators`` does: ``build_pruned``, in
memory) on DuckDB and runs them. Like the CLI, the engine keeps its plan in the plan cache (``--plan-cache``:
a folder, ``off``, default the ``plan_cache`` setting); the result says whether the plan was planned (``miss``)
or read from the cache (``hit``).
Both answers are compared (the set of flagged taxpayers per indicator must be identical) and both are timed.
The warehouse must have no ``entity_map`` (taxpayer = TIN on both sides).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

CODES = ("VAT_SALES_BELOW_INVOICED", "VAT_ZERO_DECL_INVOICING", "VAT_ZERO_DECL_PURCHASING", "VAT_ZERO_DECL_PAYROLL",
         "VAT_OUTPUT_BELOW_INVOICED_TAX", "VAT_INPUT_EXCEEDS_OUTPUT", "FIL_NON_FILER_INVOICING",
         "IIT_INSURED_ABOVE_WITHHELD", "IIT_SI_BASE_ABOVE_PAYROLL", "TP_POWER_ZERO_DECL")  # fmt: skip


def _read(wh: Path, name: str, columns: list[str]) -> pd.DataFrame:
    frame = pd.read_parquet(wh / "tables" / name, columns=columns)
    for col in columns:
        if col not in ("tin", "seller_tin", "buyer_tin", "period", "status", "issued_on"):
            frame[col] = frame[col].astype(float)
    return frame


def monthly(wh: Path) -> pd.DataFrame:
    """One row per TIN and month with the sums the ten indicators need (the analyst's working table)."""
    inv = _read(wh, "invoices", ["seller_tin", "buyer_tin", "issued_on", "amount", "tax_amount", "status"])
    inv = inv[inv["status"] != "void"]
    inv["period"] = pd.to_datetime(inv["issued_on"]).dt.strftime("%Y-%m")
    out = inv.groupby(["seller_tin", "period"]).agg(out_amount=("amount", "sum"), out_tax=("tax_amount", "sum"))
    bought = inv[inv["buyer_tin"].notna()].groupby(["buyer_tin", "period"]).agg(in_amount=("amount", "sum"))
    vat = _read(wh, "vat_returns", ["tin", "period", "sales", "output_tax", "input_tax"])
    vat = vat.groupby(["tin", "period"]).agg(
        vat_sales=("sales", "sum"), vat_output=("output_tax", "sum"), vat_input=("input_tax", "sum")
    )
    vat["vat_filed"] = 1
    iit = _read(wh, "iit_withholding", ["tin", "period", "employees", "payroll"]).groupby(["tin", "period"]).sum()
    si = _read(wh, "social_insurance", ["tin", "period", "insured_employees", "contribution_base"])
    si = si.groupby(["tin", "period"]).sum()
    kwh = _read(wh, "utilities", ["tin", "period", "kwh"]).groupby(["tin", "period"]).sum()
    parts = [out.rename_axis(["tin", "period"]), bought.rename_axis(["tin", "period"]), vat, iit, si, kwh]
    frame = pd.concat(parts, axis=1, join="outer")
    fill = [c for c in frame.columns if c not in ("vat_sales", "vat_output", "vat_input")]
    frame[fill] = frame[fill].fillna(0)
    return frame.reset_index()


def _count_months(rows: pd.DataFrame, min_months: float) -> set[str]:
    months = rows.groupby("tin").size()
    return set(months[months >= min_months].index)


def analyst_indicators(m: pd.DataFrame, p: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """The ten indicators over the monthly table; returns flagged TINs per code."""
    filed = m[m["vat_filed"] == 1]
    sales = filed["vat_sales"].fillna(0)
    out: dict[str, set[str]] = {}
    q = p["VAT_SALES_BELOW_INVOICED"]
    rows = filed[(filed["out_amount"] >= q["min_amount"]) & (sales < q["ratio"] * filed["out_amount"])]
    out["VAT_SALES_BELOW_INVOICED"] = _count_months(rows, q["min_months"])
    q = p["VAT_ZERO_DECL_INVOICING"]
    rows = filed[(sales <= q["zero_sales"]) & (filed["out_amount"] >= q["min_amount"])]
    out["VAT_ZERO_DECL_INVOICING"] = _count_months(rows, q["min_months"])
    q = p["VAT_ZERO_DECL_PURCHASING"]
    rows = filed[(sales <= q["zero_sales"]) & (filed["in_amount"] >= q["min_amount"])]
    out["VAT_ZERO_DECL_PURCHASING"] = _count_months(rows, q["min_months"])
    q = p["VAT_ZERO_DECL_PAYROLL"]
    staff = filed[["employees", "insured_employees"]].max(axis=1)
    out["VAT_ZERO_DECL_PAYROLL"] = _count_months(
        filed[(sales <= q["zero_sales"]) & (staff >= q["min_employees"])], q["min_months"]
    )
    q = p["VAT_OUTPUT_BELOW_INVOICED_TAX"]
    tot = filed.assign(o=filed["vat_output"].fillna(0)).groupby("tin").agg(d=("o", "sum"), i=("out_tax", "sum"))
    out["VAT_OUTPUT_BELOW_INVOICED_TAX"] = set(
        tot[(tot["i"] >= q["min_tax"]) & (tot["d"] < q["ratio"] * tot["i"])].index
    )
    q = p["VAT_INPUT_EXCEEDS_OUTPUT"]
    tot = m.groupby("tin").agg(i=("vat_input", "sum"), o=("vat_output", "sum"))
    out["VAT_INPUT_EXCEEDS_OUTPUT"] = set(tot[(tot["o"] >= q["min_output"]) & (tot["i"] > q["ratio"] * tot["o"])].index)
    q = p["FIL_NON_FILER_INVOICING"]
    rows = m[(m["vat_filed"] == 0) & (m["out_amount"] >= q["min_amount"])]
    out["FIL_NON_FILER_INVOICING"] = _count_months(rows, q["min_months"])
    q = p["IIT_INSURED_ABOVE_WITHHELD"]
    gap = m["insured_employees"] - m["employees"]
    rows = m[(m["insured_employees"] >= q["ratio"] * m["employees"]) & (gap >= q["min_gap"])]
    out["IIT_INSURED_ABOVE_WITHHELD"] = _count_months(rows, q["min_months"])
    q = p["IIT_SI_BASE_ABOVE_PAYROLL"]
    rows = m[(m["contribution_base"] > 0) & (m["contribution_base"] > q["ratio"] * m["payroll"])]
    tot = rows.groupby("tin").agg(n=("tin", "size"), b=("contribution_base", "sum"), w=("payroll", "sum"))
    out["IIT_SI_BASE_ABOVE_PAYROLL"] = set(
        tot[(tot["n"] >= q["min_months"]) & (tot["b"] - tot["w"] >= q["min_gap"])].index
    )
    q = p["TP_POWER_ZERO_DECL"]
    rows = filed[(sales <= q["zero_sales"]) & (filed["kwh"] >= q["min_kwh"])]
    out["TP_POWER_ZERO_DECL"] = _count_months(rows, q["min_months"])
    return out


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Result, wall seconds and CPU seconds (all threads of this process) of ``fn()``."""
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    """Run both, compare, print and save the figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=None, help="JSON result file (default: WAREHOUSE/bench_pandas.json)")
    ap.add_argument("--plan-cache", default=None, help="plan cache folder or 'off' (default: the plan_cache setting)")
    args = ap.parse_args()
    from taxloop.analytics.duckdb_backend import DuckDBBackend
    from taxloop.analytics.warehouse import Warehouse
    from taxloop.bootstrap import load_settings
    from taxloop.features.plan import pruned_plan, stage_plan
    from taxloop.features.plan_cache import cache_dir
    from taxloop.risk.library import load_library
    from taxloop.risk.scan import run_rules

    wh = Warehouse(args.warehouse)
    if wh.find("entity_map") is not None:
        raise SystemExit("the warehouse has an entity_map: use one without (taxpayer = TIN) / 请使用未做实体归并的仓库")
    specs = load_library(codes=list(CODES))
    params = {s.code: s.defaults() for s in specs}
    cache = cache_dir(load_settings().plan_cache if args.plan_cache is None else args.plan_cache)

    phases: dict[str, list[float]] = {}
    plan_from: list[str] = []

    def engine() -> dict[str, set[str]]:
        backend = DuckDBBackend(wh)
        # what `scan --indicators` builds: the columns these rules read, in memory
        def features() -> None:
            plan, hit = pruned_plan(backend, specs, cache)
            plan_from.append("off" if cache is None else "hit" if hit else "miss")
            stage_plan(backend, plan)

        _, *phases["features"] = timed(features)
        run, *phases["rules"] = timed(lambda: run_rules(backend, specs, "bench", progress=False))
        hits = run.hits.to_pandas()
        backend.close()
        return {c: set(hits.loc[hits["code"] == c, "subject_id"]) for c in CODES}

    load_before = os.getloadavg()
    analyst, pandas_s, pandas_cpu = timed(lambda: analyst_indicators(monthly(args.warehouse), params))
    ours, engine_s, engine_cpu = timed(engine)
    per_code = {c: {"engine": len(ours[c]), "pandas": len(analyst[c]), "same": ours[c] == analyst[c]} for c in CODES}
    result = {
        "warehouse": str(args.warehouse),
        "pandas_seconds": round(pandas_s, 2),
        "engine_seconds": round(engine_s, 2),
        "speedup": round(pandas_s / engine_s, 2),
        "pandas_cpu_seconds": round(pandas_cpu, 2),
        "engine_cpu_seconds": round(engine_cpu, 2),
        "engine_phases_wall_cpu": {k: [round(x, 2) for x in v] for k, v in phases.items()},
        "plan_cache": plan_from[0],
        "load_average_before": load_before,
        "load_average": os.getloadavg(),
        "same_hits": all(v["same"] for v in per_code.values()),
        "indicators": per_code,
    }
    print(json.dumps(result, indent=2))
    (args.out or args.warehouse / "bench_pandas.json").write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
