"""The feature layer: per taxpayer-month, -year and -entity features computed in a few passes.

Indicators are cheap predicates over these derived tables instead of rescanning invoices each. A scan of some
rules builds only the columns they read (``build_pruned``, in the backend's memory; see ``features.plan``).
"""

from taxloop.features.build import FEATURE_TABLES, build_features
from taxloop.features.plan import build_pruned

__all__ = ["FEATURE_TABLES", "build_features", "build_pruned"]
