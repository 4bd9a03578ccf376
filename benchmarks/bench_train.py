"""Benchmark: train the risk model on N labelled entities (default 1,000,000), score them, explain the top.

The feature matrix is synthetic but of realistic width for taxloop: 60 indicator-hit count columns
(sparse), 20 continuous entity features, 6 network features, 3 categoricals (region, industry
section and division), ~6 % positives whose probability depends on a handful of features. It runs
exactly the code of ``taxloop models train`` (:func:`taxloop.models.training.train`: time-split fit
plus the refit on everything) and ``taxloop models score`` (predict + TreeSHAP for the top N).

Usage: PYTHONPATH=src /work/venv/bin/python benchmarks/bench_train.py --entities 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

import numpy as np
import pandas as pd

from taxloop.models.dataset import feature_columns
from taxloop.models.explain import contributions, top_contributions
from taxloop.models.training import TrainConfig, train


def synthetic_frame(n: int, seed: int = 7) -> pd.DataFrame:
    """A labelled modelling frame of ``n`` entities (features + label columns)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {"entity_id": np.char.add("E", np.arange(n).astype(str))}
    cols["region_code"] = rng.choice([f"R{i:02d}" for i in range(12)], n)
    industry = rng.choice(["C3911", "C2710", "F5191", "F5212", "G5411", "K7010", "M7320", "E4813"], n)
    cols["industry_section"] = pd.Series(industry).str[:1].to_numpy()
    cols["industry_division"] = pd.Series(industry).str[:3].to_numpy()
    for i in range(20):
        cols[f"feat_{i:02d}"] = rng.lognormal(0, 1, n).astype(np.float32)
    latent = 0.8 * np.log(cols["feat_00"]) - 0.6 * np.log(cols["feat_01"]) + rng.normal(0, 1, n)
    gang = rng.uniform(size=n) < 0.01
    for i in range(6):
        cols[f"net__f{i}"] = (rng.poisson(1, n) + gang * rng.poisson(6, n)).astype(np.float32)
    risk = latent + 2.5 * gang
    p = 1 / (1 + np.exp(-(risk - 3.2)))
    label = rng.uniform(size=n) < p
    for i in range(60):
        base = rng.uniform(size=n) < 0.01
        signal = label & (rng.uniform(size=n) < (0.3 if i < 20 else 0.02))
        cols[f"hit__IND_{i:02d}"] = (base | signal).astype(np.float32)
    hits = np.sum([cols[f"hit__IND_{i:02d}"] for i in range(60)], axis=0)
    cols["hits_total"] = hits
    cols["hits_weight"] = hits * 1.5
    cols["expert_score"] = cols["hits_weight"]
    cols["label"] = label.astype(np.int8)
    cols["tax_recovered"] = np.where(label, rng.lognormal(11, 1, n), 0.0)
    cols["closed_on"] = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    cols["selection"] = rng.choice(["indicator", "random", "tip_off"], n, p=[0.7, 0.2, 0.1])
    return pd.DataFrame(cols)


def cpu_s() -> float:
    """User + system CPU seconds of this process so far (a figure the shared machine's load does not inflate)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Run the benchmark and print the measured figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--trees", type=int, default=300)
    parser.add_argument("--explain-top", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    t0 = time.perf_counter()
    frame = synthetic_frame(args.entities)
    numeric, categorical = feature_columns(frame)
    t1 = time.perf_counter()
    c1 = cpu_s()
    model = train(frame, numeric, categorical, TrainConfig(n_estimators=args.trees, n_jobs=args.threads))
    t2 = time.perf_counter()
    c2 = cpu_s()
    p = model.predict(frame)
    t3 = time.perf_counter()
    top = frame.iloc[np.argsort(-p, kind="stable")[: args.explain_top]]
    expl = top_contributions(top["entity_id"].tolist(), contributions(model, top), model.features, top, 5)
    t4 = time.perf_counter()
    result = {
        "entities": args.entities,
        "features": len(model.features),
        "positives": int(frame["label"].sum()),
        "trees": args.trees,
        "build_frame_s": round(t1 - t0, 1),
        "threads": args.threads,
        "train_wall_s (time-split fit + refit)": round(t2 - t1, 1),
        "train_cpu_s": round(c2 - c1, 1),
        "score_all_s": round(t3 - t2, 1),
        "explain_top_s": round(t4 - t3, 1),
        "explanation_rows": len(expl),
        "total_wall_s": round(t4 - t0, 1),
        "total_cpu_s": round(cpu_s(), 1),
        "load_average_1m_at_end": round(os.getloadavg()[0], 1),
        "peak_rss_mb": round(peak_rss_mb()),
        "time_split_auc_pr_model": round(model.metrics["model"]["auc_pr"], 4),
        "time_split_auc_pr_expert": round(model.metrics["expert"]["auc_pr"], 4),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
