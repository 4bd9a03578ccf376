"""The month table: the four monthly sources keyed (tin, period) side by side, one row per TIN key and month.

``vat_returns``, ``iit_withholding``, ``social_insurance`` and ``utilities`` have the contract key (tin, period)
(the loader quarantines duplicate keys) and ``features_period`` joins them in a chain of FULL OUTER JOINs on
(TIN key, month index). That chain is about a third of the table's time (benchmarks/README.md, "Ten
indicators", session 7), and it is the same at every scan. So whoever writes the keys (the loader,
``taxloop keys``) also writes ``derived/tin_months``: the chain joined once, each source's columns prefixed
with its name (``vat_returns__sales``), a flag ``present__<source>`` per source, and the month index ``pidx``
computed once (``PIDX_SQL``, the expression the feature SQL uses).

A scan reads it in place of the sources (``taxloop.features.months`` rewrites the chain) only when the key
manifest vouches for it (``covered``): its files are as recorded, written against the dictionary's generation,
and every source it was built from is trusted with the files it was built from (a source it lacks is still
absent). Anything else (a source reloaded or edited since, keys not trusted) and the scan joins the sources
as before: same results, only slower.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from taxloop.analytics.keys import DICTIONARY, GENERATION
from taxloop.analytics.keys_manifest import Manifest
from taxloop.analytics.warehouse import Warehouse
from taxloop.sqltext import ident

MONTHS = "tin_months"
#: The month table's layout (column names, flags); a table recorded with another one is not used (written anew).
LAYOUT = 2
MONTHLY_SOURCES = ("vat_returns", "iit_withholding", "social_insurance", "utilities")
#: The month index of a 'YYYY-MM' period (year * 12 + month - 1), as the feature SQL computes it.
PIDX_SQL = "CAST(substr(period, 1, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1"
#: Columns of a source not copied into the month table (the key, shared; the dictionary generation).
_NOT_COPIED = ("tin_key", GENERATION)


def column(source: str, name: str) -> str:
    """The month table's column holding ``source``'s column ``name``."""
    return f"{source}__{name}"


def present(source: str) -> str:
    """The month table's flag: TRUE where ``source`` has a row for the TIN key and month (a name no copied column
    takes: those all start with a source's name)."""
    return f"present__{source}"


def months_sql(sources: Mapping[str, tuple[str, Sequence[str]]]) -> str:
    """SQL of the month table from ``sources`` (name -> (relation of its rows, its columns)), at least one, in
    ``MONTHLY_SOURCES`` order: one FULL OUTER JOIN chain on (tin_key, pidx)."""
    names = [s for s in MONTHLY_SOURCES if s in sources]
    if not names:
        raise ValueError("months_sql: no monthly source")
    parts = []
    for source in names:
        relation, columns = sources[source]
        cols = [f"{ident(c)} AS {ident(column(source, c))}" for c in columns if c not in _NOT_COPIED]
        select = ", ".join(["tin_key", f"CAST({PIDX_SQL} AS INTEGER) AS pidx", f"TRUE AS {present(source)}", *cols])
        parts.append(f"(SELECT {select} FROM {relation} AS r)")
    chain = parts[0] + "".join(f" FULL OUTER JOIN {p} USING (tin_key, pidx)" for p in parts[1:])
    flags = ", ".join(f"coalesce({present(s)}, FALSE) AS {present(s)}" for s in names)
    copied = [ident(column(s, c)) for s in names for c in sources[s][1] if c not in _NOT_COPIED]
    return f"SELECT {', '.join(['tin_key', 'pidx', flags, *copied])} FROM {chain} ORDER BY tin_key, pidx"


def covered(wh: Warehouse | None, manifest: Manifest, present_tables: set[str] | frozenset[str]) -> frozenset[str]:
    """The sources a scan may read from the month table of ``wh`` (see module doc); empty when none: no month
    table, or it is not as recorded, or any source it was built from (or lacks) is not as it was then."""
    entry = manifest.tables.get(MONTHS)
    if wh is None or entry is None or entry.inputs is None or entry.layout != LAYOUT or MONTHS not in present_tables:
        return frozenset()
    generation = manifest.dictionary_generation(wh, DICTIONARY)
    if generation is None or entry.generation != generation or not entry.matches(wh, MONTHS):
        return frozenset()
    for source in MONTHLY_SOURCES:
        built = entry.inputs.get(source)
        if built is None:
            if source in present_tables:
                return frozenset()
            continue
        now = manifest.tables.get(source)
        if now is None or now.files != built or not manifest.table_trusted(wh, source, generation):
            return frozenset()
    return frozenset(entry.inputs)
