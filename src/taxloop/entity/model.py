"""The Splink model for taxpayer registration records: comparisons, blocking, unsupervised training.

Comparisons (only for columns with data): TIN (same TIN or TIN-change chain / one or two typos),
normalised name (exact / Jaro-Winkler), legal representative, phone, address, region and birth date.
Training needs no labels: u from random pairs, the prior from near-certain rules, m by EM on two
blockings (same TIN chain, same name). Runs on DuckDB by default; on Spark through Splink's SparkAPI.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from taxloop.entity.records import MATCH_COLUMNS

log = logging.getLogger(__name__)

# (column, English label, Chinese label) of every comparison, in the order they are scored.
COMPARISON_LABELS: dict[str, tuple[str, str]] = {
    "tin": ("TIN", "纳税人识别号"),
    "name_norm": ("name", "名称"),
    "legal_rep_id": ("legal representative", "法定代表人"),
    "phone": ("phone", "联系电话"),
    "address": ("address", "注册地址"),
    "region_code": ("region", "主管税务机关"),
    "birth_date": ("birth date", "出生日期"),
}


@dataclass
class ModelOptions:
    """Tunables of the model (defaults fit registration data of a city)."""

    u_max_pairs: float = 1e6
    seed: int = 20261123
    prior_recall: float = 0.7
    pair_floor: float = 0.5
    spark_session: Any = None
    blocking: list[list[str]] = field(
        default_factory=lambda: [
            ["tin_root"],
            ["name_norm"],
            ["legal_rep_id"],
            ["phone"],
            ["address"],
            ["birth_date", "substr(name_norm, 1, 1)"],
        ]
    )


def _comparison(column: str) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    if column == "tin":
        return cl.CustomComparison(
            output_column_name="tin",
            comparison_levels=[
                cll.NullLevel("tin"),
                cll.ExactMatchLevel("tin_root").configure(label_for_charts="same TIN or TIN-change chain"),
                cll.LevenshteinLevel("tin", 1),
                cll.LevenshteinLevel("tin", 2),
                cll.ElseLevel(),
            ],
        )
    if column == "name_norm":
        return cl.JaroWinklerAtThresholds("name_norm", [0.95, 0.88, 0.75])
    if column in ("phone", "birth_date"):
        return cl.LevenshteinAtThresholds(column, [1])
    if column == "address":
        return cl.JaroWinklerAtThresholds("address", [0.92, 0.8])
    return cl.ExactMatch(column)


def active_columns(records: pa.Table) -> list[str]:
    """Comparison columns that hold at least one value (the others are left out of the model)."""
    return [c for c in COMPARISON_LABELS if c in records.column_names and records[c].null_count < records.num_rows]


def build_settings(records: pa.Table, options: ModelOptions) -> Any:
    """Splink settings for the columns present in ``records``."""
    from splink import SettingsCreator, block_on

    columns = active_columns(records)
    if "tin" not in columns:
        raise ValueError("no TIN in any registration record: cannot resolve entities")
    usable = set(columns) | {"tin_root"}
    rules: list[Any] = [block_on(*r) for r in options.blocking if r[0] in usable]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[_comparison(c) for c in columns],
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
    )


def _db_api(options: ModelOptions) -> Any:
    if options.spark_session is not None:
        from splink import SparkAPI

        return SparkAPI(spark_session=options.spark_session)  # type: ignore[no-untyped-call]
    import duckdb
    from splink import DuckDBAPI

    return DuckDBAPI(connection=duckdb.connect(":memory:"))


def _register(db_api: Any, records: pa.Table, options: ModelOptions) -> Any:
    table: Any = records
    if options.spark_session is not None:
        table = options.spark_session.createDataFrame(records.to_pandas())
    return db_api.register(table, dataset_display_name="registrations")


def train_linker(records: pa.Table, options: ModelOptions | None = None) -> Any:
    """A Splink linker over ``records`` with parameters estimated without labels."""
    from splink import Linker, block_on

    options = options or ModelOptions()
    if records.num_rows < 2:
        raise ValueError("entity resolution needs at least two registration records")
    db_api = _db_api(options)
    sdf = _register(db_api, records.select(["unique_id", *MATCH_COLUMNS]), options)
    linker = Linker(sdf, build_settings(records, options), log_level=logging.WARNING)
    columns = active_columns(records)
    certain: list[Any] = [block_on("tin_root", "name_norm")]
    if "legal_rep_id" in columns:
        certain.append(block_on("name_norm", "legal_rep_id"))
    try:
        linker.training.estimate_probability_two_random_records_match(certain, recall=options.prior_recall)
    except Exception as exc:  # too few certain pairs in tiny data sets: keep the default prior
        log.warning("prior not estimated (%s); keeping Splink's default", exc)
    linker.training.estimate_u_using_random_sampling(max_pairs=options.u_max_pairs, seed=options.seed)
    for rule in (["tin_root"], ["name_norm"]):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*rule), fix_probability_two_random_records_match=True
            )
        except Exception as exc:  # EM can fail on tiny or degenerate data; starting values stay
            log.warning("EM blocked on %s not run: %s", rule, exc)
    return linker


def predict_pairs(linker: Any, options: ModelOptions | None = None) -> pa.Table:
    """Scored candidate pairs at or above the pair floor, with a gamma column per comparison."""
    options = options or ModelOptions()
    frame = linker.inference.predict(threshold_match_probability=options.pair_floor)
    table = frame.as_pyarrow_table()
    keep = ["unique_id_l", "unique_id_r", "match_weight", "match_probability"]
    keep += [c for c in table.column_names if c.startswith("gamma_")]
    table = table.select(keep)
    names = {"unique_id_l": "registration_id_l", "unique_id_r": "registration_id_r"}
    table = table.rename_columns([names.get(c, c) for c in table.column_names])
    return table.set_column(
        table.column_names.index("match_weight"), "match_weight", pc.cast(table["match_weight"], pa.float64())
    )


def model_json(linker: Any) -> dict[str, Any]:
    """The trained model as a JSON-able dict (levels, m and u, prior)."""
    result: dict[str, Any] = linker.misc.save_model_to_json()
    return result
