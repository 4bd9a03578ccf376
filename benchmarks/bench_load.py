"""Benchmark: load throughput (rows/s) and peak memory of ``taxloop load`` for CSV and Parquet.

Generates a contract-shaped data set with DuckDB (taxpayers, monthly VAT returns, invoices; ~0.1% of the VAT
rows corrupted on purpose so the quarantine path is exercised), then loads it into a fresh warehouse in a child
process per format and reports rows/s and the child's peak RSS.

    PYTHONPATH=src python benchmarks/bench_load.py --taxpayers 1000000 --months 12 --invoices 20000000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

GEN = {
    "taxpayers": """
        SELECT printf('R%09d', i) AS registration_id, printf('91440300%010d', i) AS tin,
               '深圳测试企业' || i || '有限公司' AS name,
               CASE i % 10 WHEN 0 THEN 'individual_business' ELSE 'enterprise' END AS kind,
               printf('4403%014d', i) AS legal_rep_id, '张' || (i % 1000) AS legal_rep_name,
               NULL AS finance_officer_id, '深圳市南山区科技路' || (i % 500) || '号' AS address,
               printf('0755%08d', i) AS phone, 'C' || (3000 + i % 900) AS industry_code,
               '4403' || lpad(CAST(i % 10 AS VARCHAR), 2, '0') AS region_code,
               CASE WHEN i % 3 = 0 THEN 'small_scale' ELSE 'general' END AS vat_status,
               CAST((i % 1000) * 1000 AS DECIMAL(18,2)) AS registered_capital,
               DATE '2010-01-01' + CAST(i % 4000 AS INTEGER) AS registered_on, NULL AS deregistered_on,
               'normal' AS status
        FROM range({n}) t(i)""",
    "vat_returns": """
        SELECT printf('91440300%010d', i % {n}) AS tin,
               strftime(DATE '2023-01-01' + INTERVAL (i // {n}) MONTH, '%Y-%m') AS period,
               CASE WHEN i % 1000 = 7 THEN '2023-02-30'
                    ELSE strftime(DATE '2023-02-15' + INTERVAL (i // {n}) MONTH, '%Y-%m-%d') END AS filed_on,
               CAST(CASE WHEN i % 1000 = 9 THEN -1 ELSE (i % 100000) * 10.25 END AS DECIMAL(18,2)) AS sales,
               NULL AS exempt_sales, CAST((i % 100000) * 1.33 AS DECIMAL(18,2)) AS output_tax,
               CAST((i % 100000) * 0.9 AS DECIMAL(18,2)) AS input_tax,
               CAST((i % 100000) * 0.43 AS DECIMAL(18,2)) AS tax_payable
        FROM range({n} * {months}) t(i)""",
    "invoices": """
        SELECT printf('INV%012d', i) AS invoice_id, printf('91440300%010d', (i * 7) % {n}) AS seller_tin,
               CASE WHEN i % 5 = 0 THEN NULL ELSE printf('91440300%010d', (i * 13) % {n}) END AS buyer_tin,
               DATE '2023-01-01' + CAST(i % 730 AS INTEGER) AS issued_on,
               CAST((i % 50000) * 3.17 AS DECIMAL(18,2)) AS amount,
               CAST((i % 50000) * 0.41 AS DECIMAL(18,2)) AS tax_amount,
               CAST(0.13 AS DECIMAL(18,2)) AS tax_rate, '10' || (i % 90000) AS goods_code,
               CASE WHEN i % 2 = 0 THEN 'special' ELSE 'ordinary' END AS kind, 'valid' AS status
        FROM range({lo}, {hi}) t(i)""",
}


def generate(out: Path, fmt: str, n: int, months: int, m: int) -> int:
    """Write the data set in ``fmt``; invoices as a partitioned folder of 4 parts. Returns total rows."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar=false")
    total = 0
    opts = "(FORMAT csv, HEADER true)" if fmt == "csv" else "(FORMAT parquet, COMPRESSION zstd)"
    for name, sql in GEN.items():
        if name == "invoices":  # a partitioned folder of 4 parts, each its own slice of ids
            (out / name).mkdir(exist_ok=True)
            for p in range(4):
                q = sql.format(n=n, lo=p * m // 4, hi=(p + 1) * m // 4)
                con.execute(f"COPY ({q}) TO '{out / name / f'part-{p}.{fmt}'}' {opts}")
        else:
            con.execute(f"COPY ({sql.format(n=n, months=months)}) TO '{out / f'{name}.{fmt}'}' {opts}")
        total += {"taxpayers": n, "vat_returns": n * months, "invoices": m}[name]
    con.close()
    return total


def load_child(data: Path, wh: Path, memory_limit: str) -> None:
    """Run one load (called in a child process) and print its figures as JSON."""
    from taxloop.load import load_dataset

    t0 = time.perf_counter()
    report = load_dataset(data, wh, memory_limit=memory_limit)
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "rows": report.rows_read,
        "loaded": report.rows_loaded,
        "quarantined": report.rows_quarantined,
        "seconds": round(secs, 1),
        "rows_per_s": round(report.rows_read / secs),
        "peak_rss_mb": round(peak_mb),
        "cpu_seconds": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime, 1),
    }
    print(json.dumps(out))


def main() -> None:
    """Generate, load each format in a child process, print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--taxpayers", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--invoices", type=int, default=20_000_000)
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--memory-limit", default="8GB")
    ap.add_argument("--work", type=Path, default=Path("/tmp/taxloop_bench_load"))
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        load_child(args.child[0], args.child[1], args.memory_limit)
        return
    try:
        for fmt in args.formats.split(","):
            data, wh = args.work / f"data_{fmt}", args.work / f"wh_{fmt}"
            shutil.rmtree(args.work, ignore_errors=True)
            t0 = time.perf_counter()
            rows = generate(data, fmt, args.taxpayers, args.months, args.invoices)
            size_mb = sum(p.stat().st_size for p in data.rglob("*") if p.is_file()) / 2**20
            print(f"{fmt}: generated {rows:,} rows ({size_mb:,.0f} MB) in {time.perf_counter() - t0:.0f}s", flush=True)
            cmd = [sys.executable, __file__, "--memory-limit", args.memory_limit, "--child", str(data), str(wh)]
            res = subprocess.run(cmd, check=True, capture_output=True, text=True)
            print(f"{fmt}: {res.stdout.strip().splitlines()[-1]}", flush=True)
    finally:
        shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
