"""Time each step of a scan's scoring phase (what ``run_scan`` does after ``run_rules``), wall and CPU.

Usage: ``python benchmarks/bench_scoring_steps.py SRC WH HITS.parquet OUT_PREFIX [--arrow]``: imports taxloop
from ``SRC`` (so two checkouts can be compared), reads the raw hits of a scan from ``HITS.parquet`` (rules output,
``HIT_SCHEMA``), runs the steps on warehouse ``WH`` (writes its derived ``indicator_hits`` / ``risk_scores``)
and saves the two tables as ``OUT_PREFIX_hits.parquet`` / ``OUT_PREFIX_scores.parquet`` for comparison.
``--arrow`` for code whose ``map_hits`` returns Arrow (session 3 on), without it the older pandas one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main() -> None:
    """Run the steps once and print their times."""
    src, wh, raw_path, out = sys.argv[1:5]
    arrow = "--arrow" in sys.argv
    sys.path.insert(0, src)
    import pyarrow as pa
    import pyarrow.parquet as pq

    from taxloop import bootstrap
    from taxloop.cli.risk_cmd import _scoring_params
    from taxloop.risk import pipeline as p
    from taxloop.risk.hit_profile import HIT_SCHEMA
    from taxloop.risk.library import load_library, select_rules

    settings = bootstrap.load_settings(warehouse=Path(wh))
    backend = bootstrap.analytics(settings)
    params = _scoring_params(settings)
    specs = select_rules(load_library(None, statuses=("active", "draft", "retired")))
    raw = pq.read_table(raw_path)
    times: dict[str, tuple[float, float]] = {}

    def step(name: str, f: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = f()
        times[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    wall0, cpu0 = time.perf_counter(), time.process_time()
    links = step("entity_links", lambda: p.entity_links(backend))
    if arrow:
        table = step("map_hits", lambda: p.map_hits(raw, links))
        hits = step("hits_to_pandas", lambda: table.select(["code", "subject_id", "weight", "severity"]).to_pandas())
    else:
        hits = step("map_hits", lambda: p.map_hits(raw, links))
        table = step("hits_to_arrow", lambda: pa.Table.from_pandas(hits, schema=HIT_SCHEMA, preserve_index=False))
    step("write_hits", lambda: backend.write_arrow("indicator_hits", table))
    groups = {s.code: s.correlation_group for s in specs}
    base = step("universe", lambda: p.universe(links))
    factors = step("weight_factors", lambda: p.weight_factors(backend, hits, links, len(base), params))
    per_code = getattr(p, "code_factors", lambda codes, f: codes.map(f).fillna(1.0))  # older code: Series.map
    weighted = step("weighted", lambda: hits.assign(weight=hits["weight"] * per_code(hits["code"], factors)))
    expert = step("expert_scores", lambda: p.expert_scores(weighted, groups, params))
    scored = step("combine", lambda: p.combine(base, expert, p.model_scores(backend), params))
    pool = scored[scored["selection"] == ""]
    drawn = step("sample", lambda: p.stratified_sample(pool, settings.random_sample_share, settings.seed))
    scored.loc[drawn, "selection"] = "random"
    scores = step("score_table", lambda: p.score_table(scored, "SFIXED"))
    step("write_scores", lambda: backend.write_arrow("risk_scores", scores))
    print(f"total wall {time.perf_counter() - wall0:.2f} cpu {time.process_time() - cpu0:.2f}")
    for name, (wall, cpu) in times.items():
        print(f"{name:16s} wall {wall:7.2f}  cpu {cpu:7.2f}")
    print(len(hits), "hits", len(scored), "taxpayers", len(drawn), "drawn")
    pq.write_table(table, f"{out}_hits.parquet")
    pq.write_table(scores, f"{out}_scores.parquet")


if __name__ == "__main__":
    main()
