"""Benchmark: the invoice sums of the feature layer through the cells table, or straight from the invoices.

    PYTHONPATH=src python benchmarks/bench_invoice_grains.py --wh /tmp/scan/bench1m/wh [--parts 4]

Until session 12 the feature layer grouped the invoices once into ``features_invoice_cells`` (seller, buyer,
month, goods prefix) and its readers grouped the cells again: ``features_period`` by seller and month and by buyer
and month, ``features_pairs`` by seller and buyer, ``features_entity`` by taxpayer and goods prefix. At 1M the
cells hardly group (54 M invoices, 39 M cells), so the question was whether each reader should group the invoices
itself; this script measured it (session 11), and session 12 made the change. The cells SQL it times is the one
the layer had, kept in ``benchmarks/feature_variants/features_invoice_cells.sql``.

This script writes, with ``COPY`` to a scratch folder (like the backend's writes), both ways of getting those four
grains, and checks that they hold the same sums (NULL taken as 0: a cell sums a void-only group to 0, a straight
sum gives NULL, and the feature tables coalesce it):

- ``through cells``: the packaged cells SQL in ``--parts`` ranges of the seller key (as the build), then the four
  readers' GROUP BYs over the cells (the sides in parts too);
- ``straight``: the same four GROUP BYs over CTE ``x`` of the cells SQL (one invoice per row, the same flags and
  the same seller join), one query each.

It is an estimate for a redesign, not the feature layer: the readers' other work (joins, other sources, decoding,
their own writes) is the same either way and left out. Needs ``features_tin`` built (any scan) and the integer keys.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import duckdb

from taxloop.features.build import bucket_sql

CELLS_SQL = Path(__file__).resolve().parent / "feature_variants" / "features_invoice_cells.sql"
SIDES = {
    "seller_month": (
        "seller_key, pidx, count(*) AS n, {count_void} AS v, {count_red} AS r, CAST(sum(amount) AS DOUBLE) AS a,"
        " CAST(sum(tax_amount) AS DOUBLE) AS t, CAST(sum(special_amount) AS DOUBLE) AS s,"
        " CAST(sum(CASE WHEN buyer_key IS NULL THEN amount ELSE 0 END) AS DOUBLE) AS ca,"
        " {count_near_quota} AS q, {count_round} AS rd, {count_positive} AS p",
        "TRUE", "seller_key, pidx",
    ),
    "buyer_month": (
        "buyer_key, pidx, count(*) AS n, CAST(sum(amount) AS DOUBLE) AS a, CAST(sum(special_tax) AS DOUBLE) AS st,"
        " CAST(sum(bad_seller_amount) AS DOUBLE) AS b, CAST(sum(new_seller_amount) AS DOUBLE) AS ns",
        "buyer_key IS NOT NULL", "buyer_key, pidx",
    ),
    "pairs": (
        "seller_key, buyer_key, count(*) AS n, CAST(sum(amount) AS DOUBLE) AS a,"
        " CAST(sum(special_tax) AS DOUBLE) AS st, min(first_issued_on) AS f, max(last_issued_on) AS l",
        "buyer_key IS NOT NULL", "seller_key, buyer_key",
    ),
}  # fmt: skip
#: Columns compared per grain (NULL sums as 0, counts as BIGINT).
COMPARED = {
    "seller_month": "seller_key, pidx, n::BIGINT, v::BIGINT, r::BIGINT, coalesce(a, 0), coalesce(t, 0),"
    " coalesce(s, 0), coalesce(ca, 0), q::BIGINT, rd::BIGINT, p::BIGINT",
    "buyer_month": "buyer_key, pidx, n::BIGINT, coalesce(a, 0), coalesce(st, 0), coalesce(b, 0), coalesce(ns, 0)",
    "pairs": "seller_key, buyer_key, n::BIGINT, coalesce(a, 0), coalesce(st, 0), f, l",
    "goods": "tin_key, g, coalesce(sold, 0)::DOUBLE, coalesce(bought, 0)::DOUBLE",
}
GOODS = (
    "SELECT tin_key, g, sum(sold) AS sold, sum(bought) AS bought FROM (SELECT seller_key AS tin_key, goods_prefix AS g,"
    " amount AS sold, 0 AS bought FROM {src} UNION ALL SELECT buyer_key, goods_prefix, 0, amount FROM {src}"
    " WHERE buyer_key IS NOT NULL) AS u GROUP BY tin_key, g"
)


def grain_sql(grain: str, src: str, over_cells: bool) -> str:
    """One grain's GROUP BY over ``src`` (cells: sums of the cells' counts; invoices: counts of rows)."""
    select, where, keys = SIDES[grain]
    if over_cells:
        select = select.replace("count(*) AS n", "CAST(sum(n) AS BIGINT) AS n")
    for flag in ("void", "red", "near_quota", "round", "positive"):
        count = f"sum({flag}_n)" if over_cells else f"count(*) FILTER (WHERE {flag}_n = 1)"
        select = select.replace("{count_" + flag + "}", count)
    return f"SELECT {select} FROM {src} WHERE {where} GROUP BY {keys} ORDER BY {keys}"


def main() -> None:
    """Time both ways, check they agree, print and save."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wh", type=Path, required=True)
    ap.add_argument("--parts", type=int, default=4, help="ranges of the seller key, as the build (1M: 4)")
    ap.add_argument("--memory-limit", default="10GB")
    ap.add_argument("--out", type=Path, default=None, help="JSON (default: WH/../bench_invoice_grains.json)")
    args = ap.parse_args()
    con = duckdb.connect()
    con.execute(f"SET memory_limit='{args.memory_limit}'")
    con.execute("SET enable_progress_bar=false")
    con.execute(f"CREATE VIEW invoices AS SELECT * FROM read_parquet('{args.wh}/tables/invoices/*.parquet')")
    con.execute(f"CREATE VIEW features_tin AS SELECT * FROM read_parquet('{args.wh}/derived/features_tin/*.parquet')")
    span = int(con.execute("SELECT max(tin_key) FROM features_tin").fetchone()[0])  # type: ignore[index]
    cells = re.sub(r"--[^\n]*", "", CELLS_SQL.read_text(encoding="utf-8")).replace("{invoices}", "invoices")
    x_body = cells[cells.index("x AS (") + len("x AS (") : cells.index("\n)\nSELECT")]
    con.execute(f"CREATE VIEW x AS {x_body.replace('{bucket(i.seller_key)}', 'TRUE')}")
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)

        def copy(name: str, sql: str) -> None:
            started = time.perf_counter()
            con.execute(f"COPY ({sql}) TO '{out}/{name}.parquet' (FORMAT parquet)")
            key = name.rstrip("0123456789")
            seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - started

        for k in range(args.parts):
            part = bucket_sql("i.seller_key", k, args.parts, span)
            copy(f"cellspart{k}", cells.replace("{bucket(i.seller_key)}", part))
        con.execute(f"CREATE VIEW c AS SELECT * FROM read_parquet('{out}/cellspart*.parquet')")
        for grain, (_, _, keys) in SIDES.items():
            first = keys.split(",")[0]
            for k in range(args.parts):
                part = f"(SELECT * FROM c WHERE {bucket_sql(first, k, args.parts, span)})"
                copy(f"cells_{grain}{k}", grain_sql(grain, part, True))
            copy(f"straight_{grain}", grain_sql(grain, "x", False))
        copy("cells_goods", GOODS.format(src="c"))
        copy("straight_goods", GOODS.format(src="x"))
        differ = {}
        for grain, cols in COMPARED.items():
            a, b = f"{out}/cells_{grain}*.parquet", f"{out}/straight_{grain}.parquet"
            differ[grain] = sum(
                int(con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM read_parquet('{p}') EXCEPT ALL"
                                f" SELECT {cols} FROM read_parquet('{q}'))").fetchone()[0])  # type: ignore[index]
                for p, q in ((a, b), (b, a))
            )  # fmt: skip
    through = seconds["cellspart"] + sum(v for k, v in seconds.items() if k.startswith("cells_"))
    straight = sum(v for k, v in seconds.items() if k.startswith("straight_"))
    result = {
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "through_cells_seconds": round(through, 1),
        "straight_seconds": round(straight, 1),
        "rows_differing": differ,
    }
    print(json.dumps(result, indent=2))
    (args.out or args.wh.parent / "bench_invoice_grains.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
