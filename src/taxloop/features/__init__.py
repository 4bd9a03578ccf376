"""The feature layer: per taxpayer-month, -year and -entity features computed in a few passes.

Indicators are cheap predicates over these derived tables instead of rescanning invoices each.
"""

from taxloop.features.build import FEATURE_TABLES, build_features

__all__ = ["FEATURE_TABLES", "build_features"]
