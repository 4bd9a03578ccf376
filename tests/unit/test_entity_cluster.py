"""Clustering at a threshold, entity ids, and the pairwise score."""

from __future__ import annotations

import pyarrow as pa

from taxloop.entity.cluster import cluster_records, cluster_sizes
from taxloop.entity.evaluation import pairwise_score
from taxloop.entity.sample import entity_lookup

RECORDS = pa.table(
    {
        "unique_id": ["r3", "r1", "r2", "r4", "r5"],
        "tin": ["T1", "T1", "T2", "T3", "T4"],
        "tin_root": ["T1", "T1", "T2", "T3", "T3"],
    }
)
PAIRS = pa.table(
    {
        "registration_id_l": ["r2", "r4"],
        "registration_id_r": ["r3", "r1"],
        "match_weight": [10.0, 1.0],
        "match_probability": [0.99, 0.6],
    }
)


def test_threshold_and_same_tin_decide_clusters() -> None:
    em = entity_lookup(cluster_records(RECORDS, PAIRS, threshold=0.95))
    assert em == {"r1": "Er1", "r2": "Er1", "r3": "Er1", "r4": "Er4", "r5": "Er4"}
    loose = entity_lookup(cluster_records(RECORDS, PAIRS, threshold=0.5))
    assert len(set(loose.values())) == 1
    strict = entity_lookup(cluster_records(RECORDS, PAIRS, threshold=0.95, same_tin=False))
    assert strict["r1"] != strict["r3"] and strict["r2"] == strict["r3"] and strict["r5"] == "Er5"


def test_every_record_gets_an_entity_and_sizes_add_up() -> None:
    em = cluster_records(RECORDS, PAIRS.slice(0, 0), threshold=0.9)
    assert em.num_rows == 5 and em.column_names == ["registration_id", "tin", "entity_id"]
    assert cluster_sizes(em) == {1: 1, 2: 2}


def test_pairwise_score_counts_pairs() -> None:
    truth = {"a": "1", "b": "1", "c": "1", "d": "2"}
    perfect = pairwise_score({"a": "x", "b": "x", "c": "x", "d": "y"}, truth)
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    split = pairwise_score({"a": "x", "b": "x", "c": "z", "d": "x"}, truth)
    # predicted pairs ab, ad, bd; true pairs ab, ac, bc -> one correct
    assert (split.predicted_pairs, split.true_pairs, split.correct_pairs) == (3, 3, 1)
    assert split.precision == split.recall == round(1 / 3, 4)
