"""Crafted small tables for the model tests: a city where risk depends on a few features."""

from __future__ import annotations

import numpy as np
import pandas as pd


def crafted_city(n: int = 1200, seed: int = 3) -> dict[str, pd.DataFrame]:
    """features_entity, indicator_hits, network_features, audit_outcomes and the truth of a toy city.

    Positives: ratio > 0.8 (hit by indicator R1 most of the time) or gang member (only network sees it).
    """
    rng = np.random.default_rng(seed)
    ids = [f"E{i:05d}" for i in range(n)]
    ratio = rng.uniform(0, 1, n)
    gang = rng.uniform(0, 1, n) < 0.05
    noise = rng.normal(0, 1, n)
    positive = (ratio > 0.8) | gang
    features = pd.DataFrame(
        {
            "entity_id": ids,
            "region_code": rng.choice(["R01", "R02", "R03"], n),
            "industry_code": rng.choice(["C3911", "F5191", "G5211"], n),
            "ratio_sales": ratio,
            "noise": noise,
            "employees": rng.integers(0, 50, n),
        }
    )
    fires = (ratio > 0.75) & (rng.uniform(0, 1, n) < 0.8) | (rng.uniform(0, 1, n) < 0.05)
    hits = pd.DataFrame(
        {
            "scan_id": "S1",
            "code": "R1",
            "subject_id": [ids[i] for i in np.flatnonzero(fires)],
            "weight": 2.0,
        }
    )
    network = pd.DataFrame(
        {
            "tin": ids,
            "degree": np.where(gang, rng.integers(5, 20, n), rng.integers(0, 4, n)),
            "role": np.where(gang, "pass_through", None),
            "gang_id": np.where(gang, "G1", None),
        }
    )
    audited = rng.choice(n, size=n // 2, replace=False)
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, len(audited)), unit="D")
    evaded = np.where(positive, rng.uniform(1e4, 1e6, n), 0.0)
    outcomes = pd.DataFrame(
        {
            "case_id": [f"C{i:05d}" for i in range(len(audited))],
            "tin": [ids[i] for i in audited],
            "opened_on": dates - pd.Timedelta(days=30),
            "closed_on": dates,
            "selection": rng.choice(["indicator", "random", "tip_off"], len(audited), p=[0.6, 0.3, 0.1]),
            "finding": np.where(positive[audited], "adjusted", "no_issue"),
            "tax_recovered": evaded[audited],
            "scheme": np.where(positive[audited], "under_reported_sales", None),
        }
    )
    truth = pd.DataFrame({"tin": ids, "positive": positive, "tax_evaded": evaded})
    return {
        "features_entity": features,
        "indicator_hits": hits,
        "network_features": network,
        "audit_outcomes": outcomes,
        "truth": truth,
    }
