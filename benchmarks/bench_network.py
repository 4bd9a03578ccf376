"""Benchmark: network features, cycles, roles and gangs for N invoices (time and peak memory).

Invoices are generated in DuckDB SQL (no Python loops): ``--invoices`` invoices among N/50 firms,
each firm trading mostly with nearby firm numbers, 24 months, amounts 1,000-100,000 yuan, goods
codes by firm; plus ``taxpayers``, ``social_insurance`` and ``utilities`` rows per firm. This measures
speed only; detection quality is measured on the synthetic city (``--city DIR``, scored against
``truth/gangs.csv``). Usage::

    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_network.py --invoices 50000000
    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_network.py --city /tmp/city
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.entity.city import mount_city, score_gangs
from taxloop.network.analyze import analyze_network


def generate(root: Path, invoices: int, parts: int = 10) -> None:
    """Write ``invoices``, ``taxpayers``, ``social_insurance``, ``utilities`` Parquet tables under ``root``."""
    firms = max(100, invoices // 50)
    con = duckdb.connect()
    tables = root / "tables"
    for name in ("invoices", "taxpayers", "social_insurance", "utilities"):
        (tables / name).mkdir(parents=True, exist_ok=True)
    per = invoices // parts
    for p in range(parts):
        lo, hi = p * per, (p + 1) * per if p < parts - 1 else invoices
        con.execute(f"""COPY (
          WITH r AS (SELECT i, hash(i) AS h1, hash(i * 31 + 7) AS h2 FROM range({lo}, {hi}) t(i)),
          s AS (SELECT i, h1, h2, h1 % {firms} AS seller FROM r)
          SELECT 'I' || i AS invoice_id, 'T' || seller AS seller_tin,
                 'T' || ((seller + 1 + h2 % 200) % {firms}) AS buyer_tin,
                 DATE '2024-01-01' + CAST(h2 % 730 AS INTEGER) AS issued_on,
                 CAST(1000 + h1 % 99000 AS DECIMAL(18, 2)) AS amount,
                 CAST((1000 + h1 % 99000) * 0.13 AS DECIMAL(18, 2)) AS tax_amount, 0.13 AS tax_rate,
                 'G' || (seller % 500 + h2 % 3) AS goods_code, 'special' AS kind, 'valid' AS status
          FROM s) TO '{tables / "invoices" / f"part-{p}.parquet"}' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT 'R' || i AS registration_id, 'T' || i AS tin, 'firm ' || i AS name,
        'enterprise' AS kind, 'L' || (i // 2) AS legal_rep_id, '138' || lpad(CAST(i AS VARCHAR), 8, '0') AS phone,
        'F5191' AS industry_code, '144030' || (i % 9) AS region_code, DATE '2015-01-01' AS registered_on,
        'normal' AS status FROM range({firms}) t(i)) TO '{tables / "taxpayers" / "part-0.parquet"}' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT 'T' || i AS tin, '2024-06' AS period,
        CAST(1 + hash(i) % 50 AS INTEGER) AS insured_employees,
        100000.0 AS contribution_base FROM range({firms}) t(i))
        TO '{tables / "social_insurance" / "part-0.parquet"}' (FORMAT parquet)""")
    con.execute(f"""COPY (SELECT 'T' || i AS tin, '2024-06' AS period, CAST(100 + hash(i) % 90000 AS DOUBLE) AS kwh
        FROM range({firms}) t(i)) TO '{tables / "utilities" / "part-0.parquet"}' (FORMAT parquet)""")
    con.close()


def main() -> None:
    """Run one benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--invoices", type=int, default=1_000_000)
    ap.add_argument("--city", type=Path, default=None, help="synthetic city folder (Parquet) instead")
    ap.add_argument("--memory-limit", default="12GB")
    ap.add_argument("--data", type=Path, default=None, help="keep the generated warehouse here (reused if present)")
    args = ap.parse_args()
    root = args.data or Path(tempfile.mkdtemp(prefix="bench_network_"))
    try:
        t0 = time.perf_counter()
        if args.city:
            mount_city(args.city, root)
        elif not (root / "tables" / "invoices").exists():
            generate(root, args.invoices)
        shutil.rmtree(root / "derived", ignore_errors=True)
        print(f"data ready in {time.perf_counter() - t0:.1f}s", flush=True)
        backend = DuckDBBackend(Warehouse(root).ensure(), memory_limit=args.memory_limit)
        t0 = time.perf_counter()
        cpu0 = time.process_time()

        def step(message: str) -> None:
            print(f"  {time.perf_counter() - t0:7.1f}s {message}", flush=True)

        report = analyze_network(backend, step=step)
        seconds = time.perf_counter() - t0
        print(f"{report}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
        cpu = time.process_time() - cpu0
        print(f"network wall time {seconds:.1f}s; CPU {cpu:.1f}s; peak RSS {peak:.2f} GB")
        if args.city:
            print(f"gangs: {score_gangs(backend, args.city)}")
        backend.close()
    finally:
        if args.data is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
