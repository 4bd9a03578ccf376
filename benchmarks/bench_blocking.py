"""Comparisons per record of every blocking rule (the blocking guard's counts) on a record set, and their cost.

    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_blocking.py --city CITY_OR_TABLES_FOLDER
    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_blocking.py --febrl /work/shared/realdata/febrl/dataset3.csv
    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_blocking.py --records 1000000

``--city`` takes a synthetic city (``taxpayers.parquet``) or a warehouse's ``tables/`` folder
(``taxpayers/*.parquet``); ``--records`` crafted registrations as ``bench_resolve.py`` makes them.
Prints per rule: stage, comparisons, comparisons per record, the three largest blocks; then the time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from taxloop.entity.guard import count_comparisons
from taxloop.entity.model import EM_RULES, ModelOptions, prediction_rules, prior_rules, training_sample
from taxloop.entity.records import prepare_records


def _parquet(folder: Path, name: str) -> str | None:
    if (folder / f"{name}.parquet").is_file():
        return str(folder / f"{name}.parquet")
    if (folder / name).is_dir():
        return str(folder / name / "*.parquet")
    return None


def city_records(folder: Path) -> pa.Table:
    """Matching records of a city or a warehouse's tables folder (TIN chains from taxpayer_changes)."""
    taxpayers = _parquet(folder, "taxpayers")
    if taxpayers is None:
        raise SystemExit(f"no taxpayers table in {folder}")
    raw = duckdb.sql(f"SELECT * FROM read_parquet('{taxpayers}')").to_arrow_table()
    changes: list[tuple[str, str]] = []
    source = _parquet(folder, "taxpayer_changes")
    if source:
        rows = duckdb.sql(
            f"SELECT old_value, new_value FROM read_parquet('{source}') WHERE field = 'tin' "
            "AND old_value IS NOT NULL AND new_value IS NOT NULL"
        ).fetchall()
        changes = [(str(a), str(b)) for a, b in rows]
    return prepare_records(raw, changes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--city", type=Path)
    ap.add_argument("--febrl", type=Path, nargs="+")
    ap.add_argument("--records", type=int)
    args = ap.parse_args()
    t0 = time.perf_counter()
    if args.city:
        records = city_records(args.city)
    elif args.febrl:
        from taxloop.entity.evaluation import read_febrl

        records = prepare_records(read_febrl(args.febrl)[0])
    else:
        from taxloop.entity.sample import make_registrations

        taxpayers, changes, _ = make_registrations(int((args.records or 100_000) / 1.05), dup_share=0.05, seed=1)
        pairs = zip(changes["old_value"].to_pylist(), changes["new_value"].to_pylist(), strict=True)
        records = prepare_records(taxpayers, list(pairs))
    print(f"{records.num_rows:,} records, prepared in {time.perf_counter() - t0:.1f}s")
    options = ModelOptions()
    t0 = time.perf_counter()
    sample = training_sample(records, options.train_max_records)
    counts = count_comparisons(records, prediction_rules(records, options), "prediction", top=3)
    counts += count_comparisons(records, prior_rules(records), "prior")
    counts += count_comparisons(sample, [list(r) for r in EM_RULES], f"EM ({sample.num_rows:,} records)")
    seconds = time.perf_counter() - t0
    for c in counts:
        blocks = "; ".join(f"{v} × {n}" for v, n in c.top_keys)
        print(f"  {c.stage:22} {c.label:36} {c.comparisons:>14,} {c.per_record:8.2f}/record  {blocks}")
    total = sum(c.comparisons for c in counts if c.stage == "prediction")
    print(f"prediction rules summed: {total / records.num_rows:.2f} per record; counting took {seconds:.2f}s")


if __name__ == "__main__":
    main()
