"""``taxloop resolve``: registration records -> entity_map, entity_pairs, a report and the saved model.

Every registration record gets an ``entity_id``; the model and the report are saved in the
warehouse's ``reports/`` folder (``entity_model.json``, ``resolve.json``) so that decisions can be
explained later (:mod:`taxloop.entity.explain`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.entity.cluster import cluster_records, cluster_sizes
from taxloop.entity.model import (
    ModelOptions,
    active_columns,
    check_blocking,
    model_json,
    predict_pairs,
    train_linker,
)
from taxloop.entity.records import load_records

MODEL_FILE = "entity_model.json"
REPORT_FILE = "resolve.json"


class ResolveReport(BaseModel):
    """What a resolution run did."""

    records: int
    entities: int
    merged_records: int
    multi_record_entities: int
    largest_entity: int
    candidate_pairs: int
    pairs_at_threshold: int
    threshold: float
    same_tin_merge: bool
    comparisons: list[str]
    cluster_sizes: dict[int, int]
    blocking_comparisons: dict[str, int]
    blocking_count_seconds: float
    seconds: float
    backend: str


def resolve_records(
    records: pa.Table,
    threshold: float = 0.95,
    options: ModelOptions | None = None,
    same_tin: bool = True,
    step: Callable[[str], None] | None = None,
) -> tuple[pa.Table, pa.Table, dict[str, object], ResolveReport]:
    """Train, predict and cluster: ``(entity_map, entity_pairs, model, report)`` (pure, no warehouse).

    First the blocking guard counts every blocking rule's comparisons and raises
    :class:`~taxloop.entity.guard.BlockingExplosionError` above the limit, before any training.
    """
    started = time.perf_counter()
    options = options or ModelOptions()
    note = step or (lambda _msg: None)
    note("counting blocking comparisons / 统计分块比较数")
    counts = check_blocking(records, options)
    counted = time.perf_counter() - started
    note("training the model without labels / 无监督训练模型")
    linker = train_linker(records, options)
    note("scoring candidate pairs / 计算候选记录对")
    pairs = predict_pairs(linker, options)
    note("clustering / 聚类")
    entity_map = cluster_records(records, pairs, threshold, same_tin=same_tin)
    sizes = cluster_sizes(entity_map)
    entities = sum(sizes.values())
    report = ResolveReport(
        records=records.num_rows,
        entities=entities,
        merged_records=records.num_rows - entities,
        multi_record_entities=sum(f for s, f in sizes.items() if s > 1),
        largest_entity=max(sizes) if sizes else 0,
        candidate_pairs=pairs.num_rows,
        pairs_at_threshold=int(pc.sum(pc.greater_equal(pairs["match_probability"], threshold)).as_py() or 0),
        threshold=threshold,
        same_tin_merge=same_tin,
        comparisons=active_columns(records),
        cluster_sizes=sizes,
        blocking_comparisons={c.label: c.comparisons for c in counts if c.stage == "prediction"},
        blocking_count_seconds=round(counted, 3),
        seconds=round(time.perf_counter() - started, 2),
        backend="spark" if options.spark_session is not None else "duckdb",
    )
    return entity_map, pairs, model_json(linker), report


def resolve(
    backend: AnalyticsBackend,
    reports_dir: Path,
    threshold: float = 0.95,
    options: ModelOptions | None = None,
    same_tin: bool = True,
    step: Callable[[str], None] | None = None,
) -> ResolveReport:
    """Resolve the warehouse's ``taxpayers`` and write ``entity_map``, ``entity_pairs``, model and report."""
    options = options or ModelOptions()
    if backend.name == "spark" and options.spark_session is None:
        options.spark_session = getattr(backend, "spark", None)
    note = step or (lambda _msg: None)
    note("reading registration records / 读取登记记录")
    records = load_records(backend)
    entity_map, pairs, model, report = resolve_records(records, threshold, options, same_tin, step)
    note("writing entity_map and entity_pairs / 写入实体映射")
    backend.write_arrow("entity_map", entity_map)
    backend.write_arrow("entity_pairs", pairs)
    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / MODEL_FILE).write_text(json.dumps(model, ensure_ascii=False, indent=1), encoding="utf-8")
    (reports_dir / REPORT_FILE).write_text(report.model_dump_json(indent=1), encoding="utf-8")
    return report


def identity_entity_map(backend: AnalyticsBackend) -> int:
    """Before resolution: ``entity_id = tin`` for every record (the convention's starting point)."""
    return backend.materialize("entity_map", "SELECT registration_id, tin, tin AS entity_id FROM taxpayers")
