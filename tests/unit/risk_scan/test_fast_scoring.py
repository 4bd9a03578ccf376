"""The vectorised scoring phase gives exactly what the pandas code it replaced gave (kept in legacy_scoring.py).

Random frames with the awkward cases: entities with several TINs, duplicate registrations, subjects that are
TINs, entity ids or unknown, NULL and NaN values, NULL regions, unknown severities, correlation groups, strata
whose labels sort differently as text than as tuples (``1`` / ``11`` / ``1|``). Scores must be bit-identical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from taxloop.risk.arrays import is_in
from taxloop.risk.hit_profile import HIT_SCHEMA
from taxloop.risk.hitmap import map_hits, universe
from taxloop.risk.pipeline import code_factors, score_table, weight_factors
from taxloop.risk.sampling import stratified_sample
from taxloop.risk.scoring import ScoringParams, combine, expert_scores, hit_pairs, rarity_factors

from . import legacy_scoring as legacy

REGIONS = ["1", "11", "1|", "2", None, "é"]


def _links(rng: np.random.Generator, n: int = 400) -> pd.DataFrame:
    tins = [f"T{i:04d}" for i in range(n)]
    entity = [f"E{rng.integers(0, n // 2):04d}" if rng.random() < 0.3 else t for t in tins]
    frame = pd.DataFrame(
        {
            "tin": tins,
            "entity_id": entity,
            "region_code": [REGIONS[i] for i in rng.integers(0, len(REGIONS), n)],
            "industry_code": [None if rng.random() < 0.1 else f"{'CFG'[rng.integers(0, 3)]}{i % 7}" for i in range(n)],
        }
    )
    dup = frame.sample(20, random_state=int(rng.integers(0, 1000))).assign(entity_id="EDUP")
    return pd.concat([frame, dup], ignore_index=True).astype({"tin": str, "entity_id": str})


def _raw_hits(rng: np.random.Generator, links: pd.DataFrame, n: int = 3000) -> pa.Table:
    pool = list(links["tin"]) + list(links["entity_id"].unique()) + ["UNKNOWN1", "UNKNOWN2"]
    subject = [pool[i] for i in rng.integers(0, len(pool), n)]
    value = rng.normal(size=n)
    value[rng.random(n) < 0.05] = np.nan
    return pa.table(
        {
            "scan_id": ["S"] * n,
            "code": [f"C{i}" for i in rng.integers(0, 12, n)],
            "subject_id": subject,
            "tin": [s if rng.random() < 0.3 else None for s in subject],
            "period": [None if rng.random() < 0.1 else f"2024-{m:02d}" for m in rng.integers(1, 13, n)],
            "value": pa.array(value, from_pandas=rng.random() < 0.5),
            "threshold": [None if rng.random() < 0.1 else 1.5 for _ in range(n)],
            "evidence": ["e"] * n,
            "weight": rng.choice([0.5, 1.0, 2.0, 3.5], n),
            "severity": [["high", "medium", "low", "odd", None][i] for i in rng.integers(0, 5, n)],
            "category": ["vat"] * n,
        },
        schema=HIT_SCHEMA,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_map_hits_and_universe_match_the_pandas_code(seed: int) -> None:
    rng = np.random.default_rng(seed)
    links = _links(rng)
    raw = _raw_hits(rng, links)
    old = pa.Table.from_pandas(legacy.map_hits(raw, links), schema=HIT_SCHEMA, preserve_index=False)
    assert map_hits(raw, links).equals(old)
    assert map_hits(raw, links.iloc[0:0]).equals(pa.Table.from_pandas(raw.to_pandas(), schema=HIT_SCHEMA))
    new_u, old_u = universe(links), legacy.universe(links)
    assert list(new_u.index) == list(old_u.index)
    for col in ("region_code", "industry_code", "tins", "industry_section"):
        assert new_u[col].fillna("").tolist() == old_u[col].fillna("").tolist(), col


@pytest.mark.parametrize("seed", [1, 2])
def test_hits_and_universe_without_resolution_match_the_pandas_code(seed: int) -> None:
    """Each TIN its own taxpayer (no entity map: entity_id is the TIN), a TIN registered twice among them."""
    links = _links(np.random.default_rng(seed))
    links = pd.concat([links, links.iloc[[3]]], ignore_index=True)
    links = links.assign(entity_id=links["tin"])
    raw = _raw_hits(np.random.default_rng(seed), links)
    subjects = raw.column("subject_id").to_pylist()
    tins = [[s, None, "T0007", None][i % 4] for i, s in enumerate(subjects)]  # the rule's TIN: another, or none
    raw = raw.set_column(raw.schema.get_field_index("tin"), "tin", pa.array(tins, pa.string()))
    old = pa.Table.from_pandas(legacy.map_hits(raw, links), schema=HIT_SCHEMA, preserve_index=False)
    assert map_hits(raw, links).equals(old)
    new_u, old_u = universe(links), legacy.universe(links)
    assert list(new_u.index) == list(old_u.index) and len(new_u) == links["tin"].nunique()
    for col in ("region_code", "industry_code", "tins", "industry_section"):
        assert new_u[col].fillna("").tolist() == old_u[col].fillna("").tolist(), col


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_expert_scores_are_bit_identical(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hits = _raw_hits(rng, _links(rng)).to_pandas()
    hits.loc[hits.sample(30, random_state=seed).index, "subject_id"] = None
    hits.loc[hits.sample(300, random_state=seed + 1).index, "weight"] = np.nan  # some pairs' first weight
    groups = {"C0": "g1", "C1": "g1", "C2": "g1", "C3": "g2", "C4": "g2", "C5": None, "C6": ""}
    params = ScoringParams(decay=0.37, repeat_bonus=0.2)
    new, old = expert_scores(hits, groups, params), legacy.expert_scores(hits, groups, params)
    assert list(new.index) == list(old.index)
    assert np.array_equal(new["expert_raw"].to_numpy(), old["expert_raw"].to_numpy())  # exact, not approx
    assert new["indicators"].tolist() == old["indicators"].tolist()
    shared = expert_scores(hits, groups, params, hit_pairs(hits.assign(weight=0.0, severity=None)))
    assert shared.equals(new)  # pairs built on other weights: the same rows, the same pairs


def test_hit_pairs_are_the_distinct_pairs() -> None:
    hits = pd.DataFrame(
        {"subject_id": ["b", "a", None, "b", "a", "c"], "code": ["X", "Y", "Z", "X", None, "W"]}, dtype=object
    )
    pairs = hit_pairs(hits)
    assert pairs.rows.tolist() == [True, True, False, True, False, True]
    assert list(pairs.subjects) == ["a", "b", "c"] and list(pairs.names) == ["W", "X", "Y", "Z"]
    found = [(pairs.subjects[s], pairs.names[c]) for s, c in zip(pairs.pair_subject, pairs.pair_code, strict=True)]
    assert found == [("a", "Y"), ("b", "X"), ("c", "W")] and pairs.n.tolist() == [1, 2, 1]
    assert rarity_factors(hits, 10, 0.5) == {"W": 1.0, "X": 1.0, "Y": 1.0, "Z": 1.0}


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_stratified_sample_draws_the_same_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 2000
    pool = pd.DataFrame(
        {
            "entity_id": [f"E{i:05d}" for i in rng.permutation(n)],
            "region_code": [REGIONS[i] for i in rng.integers(0, len(REGIONS), n)],
            "industry_section": [["C", "F", "", "G"][i] for i in rng.integers(0, 4, n)],
        },
        index=rng.permutation(n) + 10,
    )
    for share in (0.01, 0.05, 0.5):
        new = stratified_sample(pool, share, seed)
        assert list(new) == list(legacy.stratified_sample(pool, share, seed))


class _Audits:
    """A backend stub holding only ``audit_outcomes``."""

    def __init__(self, audits: pd.DataFrame) -> None:
        self.audits = pa.Table.from_pandas(audits, preserve_index=False)

    def has_table(self, name: str) -> bool:
        return name == "audit_outcomes"

    def query(self, sql: str) -> pa.Table:
        return self.audits


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_weight_factors_are_the_same(seed: int) -> None:
    rng = np.random.default_rng(seed)
    links = _links(rng)
    hits = map_hits(_raw_hits(rng, links), links).to_pandas()
    n = 150
    audits = pd.DataFrame(
        {
            "tin": [links["tin"].iloc[i] for i in rng.integers(0, len(links), n - 5)] + ["NOBODY"] * 5,
            "opened_on": [f"{2022 + i % 3}-03-01" for i in range(n)],
            "selection": [["random", "indicator", "model"][i] for i in rng.integers(0, 3, n)],
            "finding": [["adjusted", "fraud", "none"][i] for i in rng.integers(0, 3, n)],
            "tax_recovered": rng.random(n) * 1000,
        }
    )
    params = ScoringParams(calibration_prior=7.0, rarity_reference=0.05)
    for frame in (audits, audits.iloc[0:0], audits.assign(selection="indicator"), audits.iloc[[0, 1]]):
        backend = _Audits(frame)
        new = weight_factors(backend, hits, links, len(links), params)  # type: ignore[arg-type]
        assert new == legacy.weight_factors(backend, hits, links, len(links), params)  # type: ignore[arg-type]
        assert frame.empty or new != weight_factors(backend, hits, links, len(links), ScoringParams())  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [13, 14])
def test_rarity_and_code_factors_are_the_same(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hits = _raw_hits(rng, _links(rng)).to_pandas()
    hits.loc[hits.sample(40, random_state=seed).index, "subject_id"] = None
    hits.loc[hits["code"] == "C3", "subject_id"] = None  # a code whose subjects are all missing
    hits.loc[hits.sample(10, random_state=seed + 1).index, "code"] = None
    for reference in (0.01, 0.2, 0.9):
        factors = rarity_factors(hits, 300, reference)
        assert factors == legacy.rarity_factors(hits, 300, reference)
        old = hits["weight"] * hits["code"].map(factors).fillna(1.0)
        assert np.array_equal(hits["weight"] * code_factors(hits["code"], factors), old.to_numpy())


def test_score_table_is_the_same() -> None:
    rng = np.random.default_rng(15)
    hits = _raw_hits(rng, _links(rng)).to_pandas()
    base = legacy.universe(_links(rng))
    scored = combine(base, expert_scores(hits, {}, ScoringParams()), None, ScoringParams())
    scored.loc[scored.index[:7], "selection"] = "random"
    scored.loc[scored.index[3:9], "tins"] = None
    for frame in (scored, scored.iloc[0:0], scored.assign(region_code=None, selection="")):
        assert score_table(frame, "S1").equals(legacy.score_table(frame, "S1"))


@pytest.mark.parametrize("dtype", [object, "str"])
def test_is_in_is_pandas_isin_for_text(dtype: object) -> None:
    rng = np.random.default_rng(15)
    pool = [f"T{i}" for i in range(50)] + ["", "é", None]
    values = pd.Series([pool[i] for i in rng.integers(0, len(pool), 500)], dtype=dtype)  # type: ignore[call-overload]
    for wanted in ([f"T{i}" for i in range(0, 50, 3)] + ["", "NOBODY"], [], ["é"], ["T1", "T1"]):
        assert is_in(values, wanted).tolist() == values.isin(wanted).tolist()
        assert is_in(values, iter(wanted)).tolist() == values.isin(wanted).tolist()
        for text in (pd.Series(wanted, dtype=dtype), pd.Index(wanted, dtype=dtype)):  # type: ignore[call-overload]
            assert is_in(values, text).tolist() == values.isin(wanted).tolist()
    assert not is_in(values, [None, float("nan"), pd.NA]).any()  # NULL is never in
