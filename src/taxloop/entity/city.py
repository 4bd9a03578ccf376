"""Scoring entity resolution and the network analysis against a synthetic city's ``truth/`` folder.

``mount_city`` copies a city written with ``taxloop synth --format parquet`` into a warehouse's
``tables/`` (a shortcut for tests and benchmarks; ``taxloop load`` is the real path, with checks).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.entity.evaluation import PairwiseScore, pairwise_score
from taxloop.entity.sample import entity_lookup
from taxloop.network.evaluation import GangScore, gang_score


def mount_city(city: Path, root: Path) -> Path:
    """Copy the city's Parquet tables into ``root/tables/<name>/``; returns ``root``."""
    tables = root / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for item in sorted(city.iterdir()):
        if item.name == "truth":
            continue
        target = tables / item.name.removesuffix(".parquet")
        if item.is_dir():
            target.mkdir(exist_ok=True)
            for part in item.glob("*.parquet"):
                shutil.copy(part, target / part.name)
        elif item.suffix == ".parquet":
            target.mkdir(exist_ok=True)
            shutil.copy(item, target / "part-0.parquet")
    for sub in ("quarantine", "derived", "reports"):
        (root / sub).mkdir(exist_ok=True)
    return root


def _truth(city: Path, name: str) -> list[dict[str, str]]:
    path = city / "truth" / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: not a synthetic city / 不是合成城市目录")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def score_entities(backend: AnalyticsBackend, city: Path) -> PairwiseScore:
    """Pairwise precision/recall/F1 of ``entity_map`` against ``truth/entities.csv``."""
    truth = {r["registration_id"]: r["true_entity_id"] for r in _truth(city, "entities.csv")}
    return pairwise_score(entity_lookup(backend.query("SELECT registration_id, entity_id FROM entity_map")), truth)


def score_gangs(backend: AnalyticsBackend, city: Path) -> GangScore:
    """Recall and role accuracy of ``network_features`` against ``truth/gangs.csv``."""
    return gang_score(backend.query("SELECT * FROM network_features").to_pylist(), _truth(city, "gangs.csv"))
