"""Declarative rules: taxpayer risk indicators and integrity indicators share one format and engine."""
