"""Benchmark: entity resolution of N registration records (time, peak memory, pairwise F1).

Records come from ``taxloop.entity.sample.make_registrations`` (crafted duplicates with known truth),
or from a synthetic city written by ``taxloop synth --format parquet`` (``--city DIR``, scored
against ``truth/entities.csv``). Usage::

    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_resolve.py --records 1000000
    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_resolve.py --city /tmp/city
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.entity.city import mount_city, score_entities
from taxloop.entity.evaluation import pairwise_score
from taxloop.entity.model import ModelOptions
from taxloop.entity.resolve import resolve
from taxloop.entity.sample import entity_lookup, make_registrations


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    """Run one benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--records", type=int, default=100_000, help="approximate registration records")
    ap.add_argument("--city", type=Path, default=None, help="synthetic city folder (Parquet) instead")
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--memory-limit", default="10GB")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench_resolve_"))
    try:
        truth: dict[str, str] | None = None
        if args.city:
            mount_city(args.city, root)
        else:
            t0 = time.perf_counter()
            taxpayers, changes, truth = make_registrations(int(args.records / 1.05), dup_share=0.05, seed=1)
            wh = Warehouse(root).ensure()
            for name, table in (("taxpayers", taxpayers), ("taxpayer_changes", changes)):
                wh.table_dir(name).mkdir(parents=True)
                pq.write_table(table, wh.table_dir(name) / "part-0.parquet")
            print(f"generated {taxpayers.num_rows:,} records in {time.perf_counter() - t0:.1f}s", flush=True)
        wh = Warehouse(root).ensure()
        backend = DuckDBBackend(wh, memory_limit=args.memory_limit)
        t0 = time.perf_counter()
        cpu0 = time.process_time()

        def step(message: str) -> None:
            print(f"  {time.perf_counter() - t0:7.1f}s {message}", flush=True)

        report = resolve(backend, wh.reports, args.threshold, ModelOptions(), step=step)
        seconds = time.perf_counter() - t0
        if args.city:
            score = score_entities(backend, args.city)
        else:
            assert truth is not None
            found = entity_lookup(backend.query("SELECT registration_id, entity_id FROM entity_map"))
            score = pairwise_score(found, truth)
        print(f"records={report.records:,} entities={report.entities:,} candidate_pairs={report.candidate_pairs:,}")
        cpu = time.process_time() - cpu0
        print(f"resolve wall time {seconds:.1f}s; CPU {cpu:.1f}s; peak RSS {_peak_gb():.2f} GB")
        print(
            f"pairwise precision={score.precision} recall={score.recall} F1={score.f1} "
            f"(true pairs {score.true_pairs:,})"
        )
        backend.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
