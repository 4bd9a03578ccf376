"""Registration records prepared for matching: normalised columns and the TIN-change history.

The matching record has the columns ``unique_id`` (the registration_id), ``tin``, ``tin_root`` (the
first TIN of the chain of TIN changes this TIN belongs to, or the TIN itself), ``name_norm``,
``legal_rep_id``, ``phone``, ``address``, ``region_code`` and ``birth_date`` (from an 18-digit ID
number, or a ``date_of_birth`` column when the data has one).
"""

from __future__ import annotations

import igraph as ig
import pyarrow as pa
import pyarrow.compute as pc

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.entity.normalize import (
    birth_dates_from_ids,
    normalize_addresses,
    normalize_names,
    normalize_phones,
    normalize_tins,
)

MATCH_COLUMNS = ("tin", "tin_root", "name_norm", "legal_rep_id", "phone", "address", "region_code", "birth_date")


def tin_roots(changes: list[tuple[str, str]]) -> dict[str, str]:
    """Map every TIN that appears in a TIN change to the smallest TIN of its chain (connected component)."""
    pairs = [(normalize_tins(pa.array([a]))[0].as_py(), normalize_tins(pa.array([b]))[0].as_py()) for a, b in changes]
    pairs = [(a, b) for a, b in pairs if a and b and a != b]
    if not pairs:
        return {}
    names = sorted({t for pair in pairs for t in pair})
    index = {t: i for i, t in enumerate(names)}
    graph = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b in pairs])
    roots: dict[str, str] = {}
    for component in graph.connected_components():
        root = min(names[i] for i in component)
        for i in component:
            roots[names[i]] = root
    return roots


def _column(table: pa.Table, name: str) -> pa.ChunkedArray:
    if name in table.column_names:
        return pc.cast(table[name], pa.string())
    return pa.chunked_array([pa.nulls(table.num_rows, pa.string())])


def prepare_records(raw: pa.Table, changes: list[tuple[str, str]] | None = None) -> pa.Table:
    """Matching records from raw registration rows (taxpayers columns; extra ``date_of_birth`` used if present)."""
    if "registration_id" not in raw.column_names or "tin" not in raw.column_names:
        raise ValueError("registration records need the columns registration_id and tin")
    tin = normalize_tins(_column(raw, "tin"))
    roots = tin_roots(changes or [])
    if roots:
        keys = pa.array(list(roots), pa.string())
        values = pa.array(list(roots.values()), pa.string())
        found = pc.index_in(tin, value_set=keys)
        mapped = pc.take(values, found)
        tin_root = pc.coalesce(mapped, tin)
    else:
        tin_root = tin
    if "date_of_birth" in raw.column_names:
        dob = pc.replace_substring_regex(_column(raw, "date_of_birth"), r"\D+", "")
        birth = pc.coalesce(pc.if_else(pc.equal(dob, ""), pa.scalar(None, pa.string()), dob), birth_dates_from_ids(tin))
    else:
        birth = birth_dates_from_ids(tin)
    return pa.table(
        {
            "unique_id": _column(raw, "registration_id"),
            "tin": tin,
            "tin_root": tin_root,
            "name_norm": normalize_names(_column(raw, "name")),
            "legal_rep_id": normalize_tins(_column(raw, "legal_rep_id")),
            "phone": normalize_phones(_column(raw, "phone")),
            "address": normalize_addresses(_column(raw, "address")),
            "region_code": normalize_tins(_column(raw, "region_code")),
            "birth_date": birth,
        }
    )


def load_records(backend: AnalyticsBackend) -> pa.Table:
    """Matching records for every row of ``taxpayers``, TIN chains from ``taxpayer_changes`` when present."""
    if not backend.has_table("taxpayers"):
        raise ValueError("table taxpayers is absent from the warehouse: load data first (taxloop load)")
    raw = backend.query("SELECT registration_id, tin, name, legal_rep_id, phone, address, region_code FROM taxpayers")
    changes: list[tuple[str, str]] = []
    if backend.has_table("taxpayer_changes"):
        rows = backend.query(
            "SELECT old_value, new_value FROM taxpayer_changes WHERE field = 'tin' "
            "AND old_value IS NOT NULL AND new_value IS NOT NULL"
        ).to_pylist()
        changes = [(str(r["old_value"]), str(r["new_value"])) for r in rows]
    return prepare_records(raw, changes)
