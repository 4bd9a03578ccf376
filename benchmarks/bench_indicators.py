"""Feature layer + indicator library over a synthetic city: timings, and recall/precision per planted scheme.

Usage:
    PYTHONPATH=src python benchmarks/bench_indicators.py CITY_DIR [--warehouse DIR] [--threads N]

CITY_DIR is the output of ``taxloop synth ... --format parquet`` (with ``truth/``). The contract tables are
symlinked into a scratch warehouse (no loader needed), ``build_features`` runs, then every active rule of the
library once. Prints the time of each stage, hits per indicator with their precision (share of hit entities
that are planted schemers of any kind), per-scheme recall of the union of the indicators that target it and
of the best single indicator, and precision at k (k = planted entities) of a plain weighted-sum ranking.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.contract.schema import load_contract
from taxloop.features import build_features
from taxloop.rules.compile import compile_rule
from taxloop.rules.spec import RuleSpec, load_rules

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "taxloop" / "library" / "indicators"


def stage(city: Path, root: Path) -> Warehouse:
    """Symlink the city's contract tables into ``root/tables/<name>/``."""
    wh = Warehouse(root).ensure()
    for name in load_contract().tables:
        folder = wh.table_dir(name)
        single, parted = city / f"{name}.parquet", city / name
        parts = [single] if single.is_file() else sorted(parted.glob("*.parquet")) if parted.is_dir() else []
        if not parts:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        for k, part in enumerate(parts):
            (folder / f"part-{k:05d}.parquet").symlink_to(part.resolve())
    return wh


def main() -> None:
    """Run the benchmark and print the report."""
    ap = argparse.ArgumentParser()
    ap.add_argument("city", type=Path)
    ap.add_argument("--warehouse", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--memory-limit", default="")
    args = ap.parse_args()
    root = args.warehouse or Path(tempfile.mkdtemp(prefix="bench_ind_"))
    if root.exists():
        shutil.rmtree(root)
    backend = DuckDBBackend(stage(args.city, root), memory_limit=args.memory_limit, threads=args.threads)
    t0 = time.perf_counter()
    counts = build_features(backend, show_progress=True)
    t_feat = time.perf_counter() - t0
    print(f"features: {t_feat:.1f}s {counts}")
    present = set(backend.table_names())
    specs = [s for s in load_rules(LIBRARY) if s.status == "active" and set(s.tables) <= present]
    hits: dict[str, set[str]] = {}
    t1 = time.perf_counter()
    slowest: list[tuple[float, str]] = []
    for spec in specs:
        ts = time.perf_counter()
        rows = backend.query(compile_rule(spec, "duckdb")).select(["subject_id"]).to_pylist()
        slowest.append((time.perf_counter() - ts, spec.code))
        hits[spec.code] = {str(r["subject_id"]) for r in rows}
    t_rules = time.perf_counter() - t1
    print(f"rules: {len(specs)} in {t_rules:.1f}s; slowest {sorted(slowest)[-3:]}")
    print(f"total features+rules: {t_feat + t_rules:.1f}s")
    evaluate(backend, args.city / "truth", specs, hits)
    backend.close()
    if args.warehouse is None:
        shutil.rmtree(root)


def evaluate(backend: DuckDBBackend, truth: Path, specs: list[RuleSpec], hits: dict[str, set[str]]) -> None:
    """Print precision per indicator and recall per scheme against ``truth/taxpayer_schemes.csv``."""
    rows = backend.query("SELECT tin, entity_id FROM features_tin").to_pylist()
    tin_entity = {r["tin"]: r["entity_id"] for r in rows}
    n_entities = int(backend.query("SELECT count(*) AS n FROM features_entity").to_pylist()[0]["n"])
    planted: dict[str, set[str]] = defaultdict(set)
    with (truth / "taxpayer_schemes.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            planted[row["scheme"]].add(tin_entity.get(row["tin"], row["tin"]))
    bad = set().union(*planted.values())
    print(f"\nentities={n_entities} planted={len(bad)} random precision={len(bad) / n_entities:.3f}")
    print(f"{'indicator':34} {'hits':>6} {'prec':>6}  recall in its schemes")
    for spec in specs:
        h = hits[spec.code]
        prec = len(h & bad) / len(h) if h else 0.0
        rec = " ".join(f"{s}={len(h & planted[s]) / max(len(planted[s]), 1):.2f}" for s in spec.schemes)
        print(f"{spec.code:34} {len(h):6d} {prec:6.2f}  {rec}")
    print(f"\n{'scheme':28} {'planted':>7} {'union':>6} {'best':>6} best indicator")
    for scheme in sorted(planted):
        targeting = [s.code for s in specs if scheme in s.schemes]
        union = set().union(*(hits[c] for c in targeting)) if targeting else set()
        best = max(targeting, key=lambda c: len(hits[c] & planted[scheme]), default="-")
        best_r = len(hits[best] & planted[scheme]) / len(planted[scheme]) if targeting else 0.0
        print(
            f"{scheme:28} {len(planted[scheme]):7d} {len(union & planted[scheme]) / len(planted[scheme]):6.2f} "
            f"{best_r:6.2f} {best}"
        )
    score: dict[str, float] = defaultdict(float)
    for spec in specs:
        for e in hits[spec.code]:
            score[e] += spec.weight
    ranked = sorted(score, key=lambda e: -score[e])[: len(bad)]
    p_at_k = len(set(ranked) & bad) / len(bad)
    lift = p_at_k / (len(bad) / n_entities)
    print(f"\nweighted-sum ranking: precision@k(k={len(bad)})={p_at_k:.3f} lift={lift:.1f}x")


if __name__ == "__main__":
    main()
