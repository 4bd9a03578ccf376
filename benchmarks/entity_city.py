"""Helpers of the entity/network benchmarks: mount a synthetic city (Parquet) as a warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path


def mount_city(city: Path, root: Path) -> Path:
    """Copy the city's Parquet tables into ``root/tables/<name>/`` (a warehouse without the loader)."""
    tables = root / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    for item in sorted(city.iterdir()):
        if item.name == "truth":
            continue
        name = item.name.removesuffix(".parquet")
        target = tables / name
        target.mkdir(exist_ok=True)
        if item.is_dir():
            for part in item.glob("*.parquet"):
                shutil.copy(part, target / part.name)
        elif item.suffix == ".parquet":
            shutil.copy(item, target / "part-0.parquet")
    for sub in ("quarantine", "derived"):
        (root / sub).mkdir(exist_ok=True)
    return root
