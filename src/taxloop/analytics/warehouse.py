"""Warehouse layout on disk, shared by every analytics backend.

A warehouse is a folder::

    tables/<name>/*.parquet      contract tables as loaded (plus lineage columns _src_file, _src_line)
    quarantine/<name>/*.parquet  rejected rows with _reason, _rule, _src_file, _src_line
    derived/<name>/*.parquet     everything the platform computes (entity_map, features, hits, scores...)
    reports/                     JSON and HTML reports (load report, scan report...)
    workflow.sqlite              the default workflow store

Every table is a folder of Parquet parts so DuckDB and Spark read and write the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

AREAS = ("tables", "quarantine", "derived")


@dataclass(frozen=True)
class Warehouse:
    """Paths of one warehouse folder (pure: creates nothing until asked)."""

    root: Path

    def area(self, area: str) -> Path:
        """Folder of one area (``tables``, ``quarantine`` or ``derived``)."""
        if area not in AREAS:
            raise ValueError(f"unknown warehouse area {area!r}; expected one of {AREAS}")
        return self.root / area

    @property
    def reports(self) -> Path:
        """Folder of saved reports."""
        return self.root / "reports"

    def table_dir(self, name: str, area: str = "tables") -> Path:
        """Folder that holds the Parquet parts of ``name``."""
        return self.area(area) / name

    def find(self, name: str) -> Path | None:
        """The folder of ``name`` in ``derived`` (preferred) or ``tables``; None if absent."""
        for area in ("derived", "tables"):
            folder = self.table_dir(name, area)
            if folder.is_dir() and any(folder.glob("*.parquet")):
                return folder
        return None

    def names(self, area: str = "tables") -> list[str]:
        """Names of the tables present in one area."""
        base = self.area(area)
        if not base.is_dir():
            return []
        # a name starting with a dot is a folder being written or replaced, not a table
        return sorted(
            p.name for p in base.iterdir() if not p.name.startswith(".") and p.is_dir() and any(p.glob("*.parquet"))
        )

    def ensure(self) -> Warehouse:
        """Create the folder structure; returns self."""
        for area in AREAS:
            self.area(area).mkdir(parents=True, exist_ok=True)
        self.reports.mkdir(parents=True, exist_ok=True)
        return self
