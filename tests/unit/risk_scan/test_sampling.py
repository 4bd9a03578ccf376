"""Stratified random sampling is proportional, seeded, reproducible and independent of row order."""

from __future__ import annotations

import pandas as pd
import pytest

from taxloop.risk.sampling import allocate, stratified_sample


def _pool(n: int = 1000) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entity_id": [f"E{i:05d}" for i in range(n)],
            "region_code": ["R1" if i % 4 else "R2" for i in range(n)],
            "industry_section": ["C" if i % 10 < 7 else "F" for i in range(n)],
        }
    )


def test_allocation_is_proportional_and_totals_the_share() -> None:
    assert allocate([700, 200, 100], 0.1) == [70, 20, 10]
    counts = allocate([5, 5, 5], 0.1)  # 1.5 rounds to 2 in total
    assert sum(counts) == 2 and max(counts) == 1
    with pytest.raises(ValueError):
        allocate([1], 1.5)


def test_sample_is_stratified_and_reproducible() -> None:
    pool = _pool()
    drawn = stratified_sample(pool, 0.1, seed=42)
    assert len(drawn) == 100
    picked = pool.loc[drawn]
    by_stratum = picked.groupby(["region_code", "industry_section"]).size()
    expected = pool.groupby(["region_code", "industry_section"]).size() * 0.1
    assert (by_stratum - expected).abs().max() <= 1
    assert list(stratified_sample(pool, 0.1, seed=42)) == list(drawn)
    assert set(stratified_sample(pool, 0.1, seed=43)) != set(drawn)


def test_row_order_does_not_change_the_sample() -> None:
    pool = _pool()
    shuffled = pool.sample(frac=1.0, random_state=3)
    a = set(pool.loc[stratified_sample(pool, 0.05, seed=7), "entity_id"])
    b = set(shuffled.loc[stratified_sample(shuffled, 0.05, seed=7), "entity_id"])
    assert a == b


def test_empty_pool_or_zero_share() -> None:
    assert len(stratified_sample(_pool(0), 0.5, 1)) == 0
    assert len(stratified_sample(_pool(), 0.0, 1)) == 0
