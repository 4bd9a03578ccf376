"""Fixtures of the indicator tests (defined in ind_library.py so tests can import its helpers by a unique name)."""

from ind_library import library_run, library_specs

__all__ = ["library_run", "library_specs"]
