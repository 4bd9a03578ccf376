"""Normalisation of names, phones, addresses and TINs before they are compared.

Every function works on a whole Arrow column at once (vectorised with ``pyarrow.compute``) and has a
one-value twin for tests and explanations. Rules:

- everything goes through Unicode NFKC (full-width letters, digits and brackets become half-width),
  then lower case;
- names lose bracketed parts (``(深圳)``), a leading province/city prefix (``深圳市``), spaces and
  punctuation, and a trailing legal form (``有限公司``, ``有限责任公司``, ``股份有限公司``, ``Co., Ltd`` ...);
- phones keep digits only, without a ``+86``/``0086`` country prefix;
- addresses lose spaces and punctuation; TINs are upper case without spaces or dashes.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# Legal-form suffixes (punctuation already removed), longest first so that the longest one is removed.
COMPANY_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "责任公司",
    "总公司",
    "分公司",
    "公司",
    "个体工商户",
    "coltd",
    "companylimited",
    "corporation",
    "limited",
    "ltd",
)
_BRACKETS = r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|〔[^〕]*〕"
_PUNCT = r"[\s\p{P}\p{S}]+"
_PREFIX = r"^(?:[\p{Han}]{2,3}省)?(?:[\p{Han}]{2,3}市)?"
_SUFFIX = "(?:" + "|".join(COMPANY_SUFFIXES) + r")$"


def _text(values: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """NFKC + lower case; empty strings become null."""
    arr = pc.cast(values, pa.string())
    arr = pc.utf8_normalize(arr, form="NFKC")
    arr = pc.utf8_lower(arr)
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _empty_to_null(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def normalize_names(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Core business name: NFKC, lower, no brackets/prefix/punctuation/legal form (null stays null)."""
    arr = _text(values)
    arr = pc.replace_substring_regex(arr, _BRACKETS, "")
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.replace_substring_regex(arr, _PUNCT, "")
    arr = pc.replace_substring_regex(arr, _SUFFIX, "")
    stripped = pc.replace_substring_regex(arr, _PREFIX, "")
    # keep the prefix when removing it would leave (almost) nothing, e.g. a person's name
    arr = pc.if_else(pc.greater_equal(pc.utf8_length(stripped), 2), stripped, arr)
    return _empty_to_null(arr)


def normalize_phones(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Digits only, without the +86 / 0086 country prefix."""
    arr = _text(values)
    arr = pc.replace_substring_regex(arr, r"\D+", "")
    arr = pc.replace_substring_regex(arr, r"^(?:0086|86)(1\d{10})$", r"\1")
    return _empty_to_null(arr)


def normalize_addresses(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """NFKC, lower, without spaces and punctuation."""
    arr = _text(values)
    arr = pc.replace_substring_regex(arr, _PUNCT, "")
    return _empty_to_null(arr)


def normalize_tins(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Upper case, without spaces, dashes or dots."""
    arr = _text(values)
    arr = pc.utf8_upper(pc.replace_substring_regex(arr, r"[\s\-_.]+", ""))
    return _empty_to_null(arr)


def birth_dates_from_ids(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``YYYYMMDD`` taken from an 18-character PRC resident ID number, else null."""
    arr = normalize_tins(values)
    ok = pc.fill_null(pc.match_substring_regex(arr, r"^\d{6}(19|20)\d{6}\d{3}[\dX]$"), False)
    return pc.if_else(ok, pc.utf8_slice_codeunits(arr, 6, 14), pa.scalar(None, pa.string()))


def _one(fn: object, value: str | None) -> str | None:
    out = fn(pa.array([value], pa.string()))  # type: ignore[operator]
    result = out[0].as_py()
    return None if result is None else str(result)


def normalize_name(value: str | None) -> str | None:
    """One-value form of :func:`normalize_names`."""
    return _one(normalize_names, value)


def normalize_phone(value: str | None) -> str | None:
    """One-value form of :func:`normalize_phones`."""
    return _one(normalize_phones, value)


def normalize_address(value: str | None) -> str | None:
    """One-value form of :func:`normalize_addresses`."""
    return _one(normalize_addresses, value)


def normalize_tin(value: str | None) -> str | None:
    """One-value form of :func:`normalize_tins`."""
    return _one(normalize_tins, value)
