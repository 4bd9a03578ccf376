"""Normalising identifiers, phones, addresses and list-like cells for comparisons."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

_SPLIT = re.compile(r"[,;|\s]+")


def norm_text(value: object) -> str:
    """NFKC, trimmed, upper-cased, inner spaces removed ('' for None)."""
    if value is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).upper()


def norm_phone(value: object) -> str:
    """Digits only, without a +86/0086 prefix ('' for None)."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(value or "")))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 11:
            digits = digits[len(prefix) :]
    return digits


def as_list(value: Any) -> list[str]:
    """A list cell, a JSON list text or a comma/space separated text as a list of strings."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v is not None and str(v) != ""]
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            data = json.loads(text)
            if isinstance(data, list):
                return [str(v) for v in data if v is not None and str(v) != ""]
        except json.JSONDecodeError:
            pass
    return [p for p in _SPLIT.split(text) if p]


def persons_of(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Conflict keys of a taxpayer: ids of legal reps and finance officers, phones, addresses."""
    ids: set[str] = set()
    phones: set[str] = set()
    addresses: set[str] = set()
    for r in rows:
        for k in ("legal_rep_id", "finance_officer_id"):
            if v := norm_text(r.get(k)):
                ids.add(v)
        if p := norm_phone(r.get("phone")):
            phones.add(p)
        if a := norm_text(r.get("address")):
            addresses.add(a)
    return {"ids": sorted(ids), "phones": sorted(phones), "addresses": sorted(addresses)}
