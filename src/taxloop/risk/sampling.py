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


def _strata(pool: pd.DataFrame, strata: Sequence[str]) -> np.ndarray:
    """Rank of each row's stratum ``|a|b…`` in text order (the labels are built once per distinct stratum)."""
    if not strata:
        return np.zeros(len(pool), dtype=np.int64)
    codes = []
    labels = []
    for col in strata:
        code, uniques = pd.factorize(pool[col].fillna("").astype(str))
        codes.append(code.astype(np.int64))
        labels.append(np.asarray(uniques, dtype=object))
    key = np.zeros(len(pool), dtype=np.int64)  # the codes as one integer (1-D unique, no row sort: 1M -0.35 s)
    for code, names in zip(codes, labels, strict=True):
        key = key * max(len(names), 1) + code
    _, at, first = np.unique(key, return_index=True, return_inverse=True)  # at: a row of each stratum
    text = ["".join("|" + labels[i][codes[i][row]] for i in range(len(codes))) for row in at]
    rank = np.empty(len(text), dtype=np.int64)
    rank[sorted(range(len(text)), key=text.__getitem__)] = np.arange(len(text))
    return rank[np.asarray(first).reshape(-1)]


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
    stratum = _strata(pool, strata)
    ids, _ = pd.factorize(pool[id_column], sort=True)
    ids = np.where(ids < 0, ids.max() + 1, ids)  # a missing id sorts last, as in pandas
    order = np.lexsort((ids, stratum))
    bounds = np.flatnonzero(np.r_[True, np.diff(stratum[order]) != 0, True])
    counts = allocate(np.diff(bounds).tolist(), share)
    labels = pool.index.to_numpy()[order]
    rng = np.random.default_rng(seed)
    chosen: list[object] = []
    for start, end, count in zip(bounds[:-1], bounds[1:], counts, strict=True):
        if count > 0:
            picked = rng.choice(int(end - start), size=count, replace=False)
            chosen.extend(labels[start + np.sort(picked)])
    return pd.Index(chosen)
