"""Loading a contract data set into the warehouse: validate, stage, merge, report (issue 2)."""

from __future__ import annotations

from taxloop.load.errors import LoadError
from taxloop.load.report import LoadReport, TableReport
from taxloop.load.service import load_dataset

__all__ = ["LoadError", "LoadReport", "TableReport", "load_dataset"]
