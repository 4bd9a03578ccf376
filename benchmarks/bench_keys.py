"""Benchmark: the ten pandas-benchmark rules' pruned ``features_period``, hand-written, on string keys and on
integer keys — how much integer surrogate keys written at load time would save (session 3, issue 3).

    PYTHONPATH=src python benchmarks/bench_keys.py --warehouse /tmp/scan/wh100k --work /tmp/keys

``--work`` gets integer-keyed copies of invoices and the four monthly sources (a TIN dictionary from
``taxpayers``; ``tin_id``, ``seller_id``, ``buyer_id``, ``pidx``), made once and timed apart: that step stands for
what a loader would write, it is not part of the timed queries. Each variant runs three times (wall / CPU of
this process); every variant must give the same number of (TIN, month) rows. Not a feature of taxloop: a
measurement for the design of the next step (docs/NOTES.md, session 3).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

P = "(CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1)"
K = "(tin_id::BIGINT * 1024 + pidx)"
SOURCES = ("vat_returns", "iit_withholding", "social_insurance", "utilities")


def make_keys(tables: Path, work: Path) -> float:
    """Write integer-keyed copies (skipped when present); returns the seconds it took."""
    if (work / "invoices.parquet").exists():
        return 0.0
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    started = time.perf_counter()
    con.execute(
        f"CREATE TABLE d AS SELECT tin, (row_number() OVER ())::INTEGER AS id "
        f"FROM (SELECT DISTINCT tin FROM read_parquet('{tables}/taxpayers/*.parquet'))"
    )
    con.execute(
        f"COPY (SELECT i.*, s.id AS seller_id, b.id AS buyer_id, "
        f"(year(issued_on) * 12 + month(issued_on) - 1)::SMALLINT AS pidx "
        f"FROM read_parquet('{tables}/invoices/*.parquet') i LEFT JOIN d s ON s.tin = i.seller_tin "
        f"LEFT JOIN d b ON b.tin = i.buyer_tin) TO '{work}/invoices.parquet'"
    )
    for t in SOURCES:
        con.execute(
            f"COPY (SELECT x.*, d.id AS tin_id, {P}::SMALLINT AS pidx FROM read_parquet('{tables}/{t}/*.parquet') x "
            f"LEFT JOIN d USING (tin)) TO '{work}/{t}.parquet'"
        )
    return time.perf_counter() - started


def connect(tables: Path, work: Path, keyed: bool) -> duckdb.DuckDBPyConnection:
    """Views over the raw tables or over the keyed copies."""
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order=false")
    for t in ("invoices", *SOURCES):
        path = f"{work}/{t}.parquet" if keyed else f"{tables}/{t}/*.parquet"
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{path}')")
    return con


def _source_ctes(key: str, group: bool) -> str:
    """The four unique-key monthly sources keyed by ``key`` (SQL selecting the key columns), grouped or not."""
    cols = {
        "vat_returns": [("count(*)", "1", "n"), ("sum(sales)", "sales", "vat_sales"),
                        ("sum(output_tax)", "output_tax", "vat_output"), ("sum(input_tax)", "input_tax", "vat_input")],
        "iit_withholding": [("sum(employees)", "employees", "iit_employees"),
                            ("sum(payroll)", "payroll", "iit_payroll")],
        "social_insurance": [("sum(insured_employees)", "insured_employees", "si_insured"),
                             ("sum(contribution_base)", "contribution_base", "si_base")],
        "utilities": [("sum(kwh)", "kwh", "kwh")],
    }  # fmt: skip
    ctes = []
    for alias, (table, spec) in zip("vwsu", cols.items(), strict=True):
        exprs = ", ".join(f"CAST({agg if group else raw} AS DOUBLE) AS {name}" for agg, raw, name in spec)
        tail = " GROUP BY ALL" if group else ""
        ctes.append(f"{alias} AS (SELECT {key}, {exprs} FROM {table}{tail})")
    return ",\n".join(ctes)


def _query(seller: str, buyer: str, key: str, using: str, group: bool) -> str:
    """Seller and buyer invoice sums per month plus the four sources, in one FULL OUTER JOIN chain."""
    valid = "status <> 'void'"
    return (
        f"WITH o AS (SELECT {seller}, count(*) AS out_n, CAST(sum(amount) AS DOUBLE) AS out_amount,"
        f" CAST(sum(tax_amount) AS DOUBLE) AS out_tax FROM invoices WHERE {valid} GROUP BY ALL),\n"
        f"i AS (SELECT {buyer}, CAST(sum(amount) AS DOUBLE) AS in_amount FROM invoices"
        f" WHERE {valid} AND buyer_tin IS NOT NULL GROUP BY ALL),\n"
        f"{_source_ctes(key, group)}\n"
        f"SELECT * FROM o" + "".join(f" FULL JOIN {a} USING ({using})" for a in "ivwsu")
    )


def q_str(group: bool) -> str:
    """On the delivered string keys (tin, period)."""
    month = "strftime(issued_on, '%Y-%m') AS period"
    return _query(f"seller_tin AS tin, {month}", f"buyer_tin AS tin, {month}", "tin, period", "tin, period", group)


def q_int(group: bool) -> str:
    """On one integer key, TIN id x 1024 + month index, precomputed in the keyed copies."""
    return _query(
        "seller_id::BIGINT * 1024 + pidx AS k", "buyer_id::BIGINT * 1024 + pidx AS k", f"{K} AS k", "k", group
    )


def main() -> None:
    """Key the data once, then time each variant three times."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    args = ap.parse_args()
    tables = args.warehouse / "tables"
    print(f"keyed copies written in {make_keys(tables, args.work):.1f} s (0 = already there)")
    variants = {
        "string keys, GROUP BY every source": (False, q_str(True)),
        "string keys, no GROUP BY on unique-key sources": (False, q_str(False)),
        "integer keys precomputed, GROUP BY": (True, q_int(True)),
        "integer keys precomputed, no GROUP BY": (True, q_int(False)),
    }
    for name, (keyed, sql) in variants.items():
        con = connect(tables, args.work, keyed)
        runs = []
        for _ in range(3):
            wall, cpu = time.perf_counter(), time.process_time()
            con.execute(f"CREATE OR REPLACE TEMP TABLE x AS {sql}")
            rows = con.execute("SELECT count(*) FROM x").fetchone()
            runs.append(f"{time.perf_counter() - wall:.2f}/{time.process_time() - cpu:.2f}")
        print(f"{name}: wall/CPU s {', '.join(runs)}; rows {rows[0] if rows else 0}")
        con.close()


if __name__ == "__main__":
    main()
