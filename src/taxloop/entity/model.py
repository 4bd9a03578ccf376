"""The Splink model for taxpayer registration records: comparisons, blocking, unsupervised training.

Comparisons (only for columns with data): TIN (same TIN or TIN-change chain / one or two typos),
normalised name (exact / Jaro-Winkler), legal representative, phone, address, region and birth date.
Training needs no labels: u from random pairs, the prior from near-certain rules, m by EM on two
blockings (same TIN chain, same name). Above ``train_max_records`` records, m and u are estimated on a
sample of whole TIN chains and the model is then applied to all records (the prior re-estimated on
them). Blocking: same TIN chain, name, legal representative or phone; same address only together with
the first character of the name or the birth date (same address alone pairs every firm of a building).
Before training, :func:`check_blocking` counts the comparisons of every blocking (prediction and prior on
all records, EM on the training sample) and refuses above ``max_comparisons_per_record`` (:mod:`.guard`).
Runs on DuckDB by default; on Spark through Splink's SparkAPI.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from taxloop.entity.guard import RuleCount, check_comparisons
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
    train_max_records: int = 200_000
    seed: int = 20261123
    prior_recall: float = 0.7
    pair_floor: float = 0.5
    # Guard (entity/guard.py): refuse when a blocking rule would make more than
    # max(records × max_comparisons_per_record, min_comparison_limit) comparisons; 0 = guard off
    max_comparisons_per_record: float = 10.0
    min_comparison_limit: int = 100_000
    spark_session: Any = None
    blocking: list[list[str]] = field(
        default_factory=lambda: [
            ["tin_root"],
            ["name_norm"],
            ["legal_rep_id"],
            ["phone"],
            ["address", "substr(name_norm, 1, 1)"],
            ["address", "birth_date"],
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


def prediction_rules(records: pa.Table, options: ModelOptions) -> list[list[str]]:
    """The blocking rules whose first column holds data (the rules Splink predicts with)."""
    usable = set(active_columns(records)) | {"tin_root"}
    return [r for r in options.blocking if r[0] in usable]


def prior_rules(records: pa.Table) -> list[list[str]]:
    """The near-certain rules the prior is estimated from."""
    rules = [["tin_root", "name_norm"]]
    if "legal_rep_id" in active_columns(records):
        rules.append(["name_norm", "legal_rep_id"])
    return rules


EM_RULES: tuple[list[str], ...] = (["tin_root"], ["name_norm"])


def build_settings(records: pa.Table, options: ModelOptions) -> Any:
    """Splink settings for the columns present in ``records``."""
    from splink import SettingsCreator, block_on

    columns = active_columns(records)
    if "tin" not in columns:
        raise ValueError("no TIN in any registration record: cannot resolve entities")
    rules: list[Any] = [block_on(*r) for r in prediction_rules(records, options)]
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
        import tempfile

        from splink import SparkAPI
        from splink.internals.spark.jar_location import similarity_jar_location

        spark = options.spark_session
        # Splink's string-similarity UDFs live in a jar shipped with Splink; checkpoints need a folder
        spark.sql(f"ADD JAR '{similarity_jar_location()}'")
        if spark.sparkContext.getCheckpointDir() is None:
            spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="taxloop_splink_"))
        return SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
    import duckdb
    from splink import DuckDBAPI

    return DuckDBAPI(connection=duckdb.connect(":memory:"))


def _register(db_api: Any, records: pa.Table, options: ModelOptions) -> Any:
    table: Any = records
    if options.spark_session is not None:
        table = options.spark_session.createDataFrame(records.to_pandas())
    return db_api.register(table, dataset_display_name="registrations")


def training_sample(records: pa.Table, max_records: int) -> pa.Table:
    """At most about ``max_records`` records, whole TIN chains at a time (a hash bucket of ``tin_root``).

    Keeping every record of a sampled TIN chain keeps its duplicates together, so EM still sees them.
    """
    if records.num_rows <= max_records:
        return records
    buckets = -(-records.num_rows // max_records)
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.register("records", records)
        return con.sql(
            f"SELECT * FROM records WHERE hash(coalesce(tin_root, unique_id)) % {int(buckets)} = 0"
        ).to_arrow_table()
    finally:
        con.close()


def _estimate_prior(linker: Any, records: pa.Table, options: ModelOptions) -> None:
    from splink import block_on

    certain: list[Any] = [block_on(*r) for r in prior_rules(records)]
    try:
        linker.training.estimate_probability_two_random_records_match(certain, recall=options.prior_recall)
    except Exception as exc:  # too few certain pairs in tiny data sets: keep the default prior
        log.warning("prior not estimated (%s); keeping Splink's default", exc)


def check_blocking(records: pa.Table, options: ModelOptions) -> list[RuleCount]:
    """Count the comparisons of every blocking Splink will run; refuse above the per-record limit.

    Prediction and the prior block all records; EM blocks the training sample (all records up to
    ``train_max_records``). Raises :class:`~taxloop.entity.guard.BlockingExplosionError` (a ValueError).
    """
    limits = (options.max_comparisons_per_record, options.min_comparison_limit)
    counts = check_comparisons(records, prediction_rules(records, options), "prediction", *limits)
    counts += check_comparisons(records, prior_rules(records), "training (prior)", *limits)
    sample = training_sample(records, options.train_max_records)
    stage = "training (EM)" if sample.num_rows == records.num_rows else f"training (EM, sample of {sample.num_rows:,})"
    return counts + check_comparisons(sample, [list(r) for r in EM_RULES], stage, *limits)


def train_linker(records: pa.Table, options: ModelOptions | None = None) -> Any:
    """A Splink linker over ``records`` with parameters estimated without labels.

    m and u are estimated on :func:`training_sample` (at most ``train_max_records`` records); the
    prior (probability that two random records match) on all records, since it depends on their number.
    """
    from splink import Linker, block_on

    options = options or ModelOptions()
    if records.num_rows < 2:
        raise ValueError("entity resolution needs at least two registration records")
    records = records.select(["unique_id", *MATCH_COLUMNS])
    sample = training_sample(records, options.train_max_records)
    settings = build_settings(records, options)
    linker = Linker(_register(_db_api(options), sample, options), settings, log_level=logging.WARNING)
    _estimate_prior(linker, sample, options)
    linker.training.estimate_u_using_random_sampling(max_pairs=options.u_max_pairs, seed=options.seed)
    for rule in EM_RULES:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*rule), fix_probability_two_random_records_match=True
            )
        except Exception as exc:  # EM can fail on tiny or degenerate data; starting values stay
            log.warning("EM blocked on %s not run: %s", rule, exc)
    if sample.num_rows == records.num_rows:
        return linker
    full = Linker(_register(_db_api(options), records, options), model_json(linker), log_level=logging.WARNING)
    _estimate_prior(full, records, options)
    return full


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
