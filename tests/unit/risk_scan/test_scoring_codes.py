"""Session 11's shared codes of the scoring phase give what the code they replaced gave: audit cases looked up
at once, the ranking by position, Arrow-built text, joins by look-up or by known position, hits' positions
among the universe's ids, levels. Reference: pandas or ``legacy_scoring.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from taxloop.risk.arrays import join_at, join_runs, join_unique
from taxloop.risk.effectiveness import audit_cases
from taxloop.risk.hitmap import map_hits, map_hits_at, universe
from taxloop.risk.scoring import ScoringParams, combine, expert_scores, grade, hit_pairs

from . import legacy_scoring as legacy
from .test_fast_scoring import _links, _raw_hits


def test_audit_cases_look_up_like_the_python_code() -> None:
    """Resolved TINs, TINs of no taxpayer, a NULL TIN, a TIN whose taxpayer is NULL, no mapping at all."""
    audits = pd.DataFrame(
        {
            "tin": ["T1", "T2", None, "T3", "T9", "T1"],
            "opened_on": ["2023-01-02", "x", None, "2024-05-01", "2022-01-01", "2023-03-03"],
            "selection": ["random"] * 6,
            "finding": ["fraud", "none", "adjusted", None, "none", "adjusted"],
            "tax_recovered": ["1.5", "x", None, 3, 4.0, 0],
        }
    )
    for t2e in ({"T1": "E1", "T2": "E1", "T3": None, "T4": "E4"}, {}, {"T9": "T9"}):
        new, old = audit_cases(audits, t2e), legacy.audit_cases(audits, t2e)  # type: ignore[arg-type]
        assert new["entity_id"].tolist() == old["entity_id"].tolist() or (
            new["entity_id"].fillna("<NA>").tolist() == old["entity_id"].fillna("<NA>").tolist()
        )
        assert new.drop(columns="entity_id").equals(old.drop(columns="entity_id"))
    assert audit_cases(audits.iloc[0:0], {"T1": "E1"}).empty


@pytest.mark.parametrize("seed", [16, 17])
def test_combine_orders_rows_as_the_sort_by_entity_id(seed: int) -> None:
    """Sorted universe (rows ranked by position) and shuffled universe (sorted by entity_id) rank alike,
    with many ties in score (a few distinct weights)."""
    rng = np.random.default_rng(seed)
    hits = _raw_hits(rng, _links(rng)).to_pandas()
    base = legacy.universe(_links(rng))
    expert = expert_scores(hits, {}, ScoringParams())
    ordered = combine(base.sort_index(), expert, None, ScoringParams())
    shuffled = combine(base.sample(frac=1.0, random_state=seed), expert, None, ScoringParams())
    assert base.sort_index().index.is_monotonic_increasing and not base.sample(frac=1.0).index.is_monotonic_increasing
    assert ordered.equals(shuffled) and ordered["score"].duplicated().sum() > 50


def test_join_runs_joins_each_run_and_leaves_empty_runs_null() -> None:
    names = pa.array(["a", "b", "é", "d", "e"])
    joined = join_runs(names, np.array([0, 2, 2, 3, 5]))
    assert joined.to_pylist() == ["a;b", None, "é", "d;e"]
    assert join_runs(names.take(pa.array([4, 0])), np.array([0, 0, 2]), "|").to_pylist() == [None, "e|a"]
    assert join_runs(pa.array([], pa.string()), np.array([0])).to_pylist() == []


def test_join_unique_is_the_left_join() -> None:
    left = pd.DataFrame({"a": [1, 2, 3, 4]}, index=pd.Index(["b", "é", "a", "z"], name="entity_id"))
    right = pd.DataFrame(
        {"x": [0.5, np.nan, 2.0], "t": ["p", None, "q"]}, index=pd.Index(["a", "é", "nobody"], name="entity_id")
    )
    for r in (right, right.astype({"t": object}), right.iloc[0:0], right.iloc[[2]]):
        for lf in (left, left.iloc[0:0], left.set_axis(pd.Index(["b", "b", "a", "z"]))):
            new, old = join_unique(lf, r), lf.join(r, how="left")
            assert new.index.equals(old.index) and list(new.columns) == list(old.columns)
            for column in new.columns:
                assert new[column].tolist() == old[column].tolist() or new[column].equals(old[column]), column


@pytest.mark.parametrize("seed", [18, 19])
def test_positions_from_the_mapping_give_the_same_pairs_and_scores(seed: int) -> None:
    """No entity map: each hit's position among the universe's ids (map_hits_at) replaces the subjects' sort."""
    links = _links(np.random.default_rng(seed))
    links = links.assign(entity_id=links["tin"])
    raw = _raw_hits(np.random.default_rng(seed), links)
    base = universe(links)
    mapped, at = map_hits_at(raw, links, pa.array(base.index, pa.string()))
    assert mapped.equals(map_hits(raw, links)) and at is not None
    hits = mapped.to_pandas()
    known = hits["subject_id"].isin(base.index).to_numpy()
    assert (at[known] >= 0).all() and (at[~known] == -1).all() and (~known).any()
    assert list(base.index[at[known]]) == hits["subject_id"][known].tolist()
    hits = hits[known].reset_index(drop=True)  # every subject a registered TIN: the positions are used
    fast, slow = hit_pairs(hits, at[known], base.index), hit_pairs(hits)
    assert fast.positions is not None and slow.positions is None
    assert list(fast.subjects) == list(slow.subjects) and list(base.index[fast.positions]) == list(slow.subjects)
    for name in ("rows", "names", "order", "starts", "pair_subject", "pair_code", "n"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    params = ScoringParams()
    expert = expert_scores(hits, {}, params, fast)
    assert expert.equals(expert_scores(hits, {}, params))
    assert combine(base, expert, None, params, fast.positions).equals(combine(base, expert, None, params))
    missing = np.where(np.arange(len(hits)) == 5, -1, at[known])  # a subject not among the ids: sorted instead
    assert hit_pairs(hits, missing, base.index).positions is None


def test_join_at_is_the_left_join() -> None:
    left = pd.DataFrame({"a": [1, 2, 3, 4]}, index=pd.Index(["a", "b", "c", "d"], name="entity_id"))
    right = pd.DataFrame({"x": [0.5, np.nan], "t": ["p", None]}, index=pd.Index(["b", "d"], name="entity_id"))
    new, old = join_at(left, right, np.array([1, 3])), left.join(right, how="left")
    assert new.index.equals(old.index) and new["a"].equals(old["a"]) and new["t"].equals(old["t"])
    assert new["x"].equals(old["x"])
    with pytest.raises(ValueError):
        join_at(left, right, np.array([1]))


def test_grade_levels() -> None:
    score = pd.Series([0.0, 0.3, 0.29, 0.6, 0.61, np.nan, 1.0], index=list("abcdefg"))
    level = grade(score, ScoringParams(high=0.6, medium=0.3))
    assert level.tolist() == ["low", "medium", "low", "high", "high", "low", "high"]
    assert level.dtype == object and list(level.index) == list("abcdefg")


@pytest.mark.parametrize("seed", [20, 21])
def test_positions_with_resolved_entities(seed: int) -> None:
    """Several TINs per entity: the position is the resolved taxpayer's; a subject of no taxpayer has -1."""
    links = _links(np.random.default_rng(seed))
    raw = _raw_hits(np.random.default_rng(seed), links)
    base = universe(links)
    mapped, at = map_hits_at(raw, links, pa.array(base.index, pa.string()))
    assert mapped.equals(map_hits(raw, links)) and at is not None
    subject = mapped.column("subject_id").to_pandas()
    known = subject.isin(base.index).to_numpy()
    assert (~known).any() and (at[~known] == -1).all()
    assert list(base.index[at[known]]) == subject[known].tolist()
    hits = mapped.to_pandas()
    assert hit_pairs(hits, at, base.index).positions is None  # unknown subjects: sorted, base gets extras
    hits, at = hits[known].reset_index(drop=True), at[known]
    fast, slow = hit_pairs(hits, at, base.index), hit_pairs(hits)
    assert list(fast.subjects) == list(slow.subjects) and np.array_equal(fast.pair_subject, slow.pair_subject)
