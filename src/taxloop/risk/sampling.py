"""Stratified random sampling of taxpayers that no indicator or model flags (seeded, reproducible).

The pool is split into strata (region and industry section); each stratum gets its proportional
share of the sample, rounded by the largest-remainder method so the total is ``round(share * pool)``.
Within a stratum, members are ordered by id before drawing, so the same seed and the same pool
always give the same sample whatever order the rows arrive in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def allocate(sizes: Sequence[int], share: float) -> list[int]:
    """How many to draw from each stratum: proportional, largest remainder, total ``round(share*sum)``."""
    if not 0 <= share <= 1:
        raise ValueError(f"sample share must be within 0..1, got {share}")
    sizes_arr = np.asarray(sizes, dtype=float)
    total = round(share * float(sizes_arr.sum()))
    exact = sizes_arr * share
    counts = np.floor(exact).astype(int)
    left = total - int(counts.sum())
    if left > 0:
        order = np.lexsort((np.arange(len(exact)), -(exact - counts)))
        for i in order[:left]:
            counts[i] += 1
    return [int(min(c, s)) for c, s in zip(counts, sizes_arr, strict=True)]


def stratified_sample(
    pool: pd.DataFrame,
    share: float,
    seed: int,
    id_column: str = "entity_id",
    strata: Sequence[str] = ("region_code", "industry_section"),
) -> pd.Index:
    """Index labels of the rows drawn from ``pool`` (one row per candidate)."""
    if pool.empty or share <= 0:
        return pd.Index([])
    stratum = pd.Series("", index=pool.index, dtype=object)
    for col in strata:
        stratum = stratum + "|" + pool[col].fillna("").astype(str)
    frame = pool[[id_column]].assign(_stratum=stratum)
    frame = frame.sort_values(["_stratum", id_column], kind="stable")
    members = [group.index for _, group in frame.groupby("_stratum", sort=True)]
    counts = allocate([len(m) for m in members], share)
    rng = np.random.default_rng(seed)
    chosen: list[object] = []
    for index, count in zip(members, counts, strict=True):
        if count > 0:
            picked = rng.choice(len(index), size=count, replace=False)
            chosen.extend(index[np.sort(picked)])
    return pd.Index(chosen)
