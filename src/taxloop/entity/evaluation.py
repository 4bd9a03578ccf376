"""Pairwise precision, recall and F1 of a clustering against true entities, and the FEBRL reader.

A pair of records is predicted when both are in the same entity, true when both have the same true
entity; precision, recall and F1 are counted over pairs (the usual measure in record linkage).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import BaseModel


class PairwiseScore(BaseModel):
    """Pairwise linkage quality."""

    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float


def _pairs(counter: Counter[object]) -> int:
    return sum(c * (c - 1) // 2 for c in counter.values())


def pairwise_score(predicted: dict[str, str], truth: dict[str, str]) -> PairwiseScore:
    """Score ``record -> predicted cluster`` against ``record -> true entity`` (records in both only)."""
    common = [r for r in predicted if r in truth]
    true_pairs = _pairs(Counter(truth[r] for r in common))
    pred_pairs = _pairs(Counter(predicted[r] for r in common))
    both = _pairs(Counter((predicted[r], truth[r]) for r in common))
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairwiseScore(
        true_pairs=true_pairs,
        predicted_pairs=pred_pairs,
        correct_pairs=both,
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
    )


def read_febrl(paths: list[Path]) -> tuple[pa.Table, dict[str, str]]:
    """FEBRL person files as natural-person registration rows, and the true entity of each record.

    The social security number is the TIN (typos included), given name + surname the name, the
    address parts the address, the state the region, the date of birth kept as ``date_of_birth``.
    """
    tables = []
    for path in paths:
        t = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=True))
        t = t.rename_columns([c.strip() for c in t.column_names])
        t = t.cast(pa.schema([pa.field(c, pa.string()) for c in t.column_names]))
        tables.append(t.append_column("_file", pa.array([path.stem] * t.num_rows)))
    raw = pa.concat_tables(tables)

    def col(name: str) -> pa.ChunkedArray:
        return pc.fill_null(pc.utf8_trim_whitespace(raw[name]), "")

    rec = col("rec_id")
    reg_id = pc.binary_join_element_wise(raw["_file"], rec, ":")
    name = pc.binary_join_element_wise(col("given_name"), col("surname"), " ")
    address = pc.binary_join_element_wise(
        col("street_number"), col("address_1"), col("address_2"), col("suburb"), col("postcode"), " "
    )
    rows = pa.table(
        {
            "registration_id": reg_id,
            "tin": col("soc_sec_id"),
            "name": name,
            "kind": pa.array(["natural_person"] * raw.num_rows),
            "address": address,
            "region_code": col("state"),
            "date_of_birth": col("date_of_birth"),
        }
    )
    true_ids = pc.struct_field(pc.extract_regex(rec, r"^rec-(?P<n>\d+)"), "n")
    truth = dict(zip(reg_id.to_pylist(), true_ids.to_pylist(), strict=True))
    return rows, truth
