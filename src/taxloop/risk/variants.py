"""Per-region/industry parameter overrides: one compiled variant per distinct parameter set.

A rule's ``overrides`` change parameters for subjects in a region and/or an industry (code prefix).
``resolve_params`` applies every matching override in file order. Here every combination of
matched/unmatched overrides is enumerated (impossible ones pruned), combinations with the same
parameters are merged, and each variant gets a SQL condition over the subject's attributes
(``a.region_code``, ``a.industry_code``) that is true exactly for the subjects it applies to.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from taxloop.rules.spec import ParamOverride, RuleSpec
from taxloop.sqltext import lit

MAX_OVERRIDES = 10


@dataclass(frozen=True)
class Variant:
    """Parameters and the condition on subject attributes under which they apply (None = everyone)."""

    params: dict[str, Any]
    condition: str | None


def _match_sql(ov: ParamOverride) -> str:
    parts = []
    if ov.region_code:
        parts.append(f"COALESCE(a.region_code, '') = {lit(ov.region_code)}")
    if ov.industry_prefix:
        n = len(ov.industry_prefix)
        parts.append(f"SUBSTR(COALESCE(a.industry_code, ''), 1, {n}) = {lit(ov.industry_prefix)}")
    return "(" + " AND ".join(parts or ["TRUE"]) + ")"


def _possible(matched: list[ParamOverride]) -> bool:
    """Whether one subject can match every override in ``matched`` at once."""
    regions = {ov.region_code for ov in matched if ov.region_code}
    if len(regions) > 1:
        return False
    prefixes = sorted((ov.industry_prefix for ov in matched if ov.industry_prefix), key=len)
    return all(longer.startswith(shorter) for shorter, longer in itertools.pairwise(prefixes))


def rule_variants(spec: RuleSpec) -> list[Variant]:
    """The distinct parameter sets of a rule with the condition selecting their subjects."""
    base = spec.defaults()
    overrides = list(spec.overrides)
    if not overrides:
        return [Variant(base, None)]
    if len(overrides) > MAX_OVERRIDES:
        raise ValueError(f"{spec.code}: more than {MAX_OVERRIDES} overrides; merge some")
    groups: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for mask in itertools.product((False, True), repeat=len(overrides)):
        matched = [ov for ov, on in zip(overrides, mask, strict=True) if on]
        if not _possible(matched):
            continue
        params = dict(base)
        for ov in matched:
            params.update(ov.params)
        terms = [(_match_sql(ov) if on else f"NOT {_match_sql(ov)}") for ov, on in zip(overrides, mask, strict=True)]
        key = json.dumps(params, sort_keys=True, default=str)
        groups.setdefault(key, (params, []))[1].append("(" + " AND ".join(terms) + ")")
    return [Variant(params, " OR ".join(conds)) for params, conds in groups.values()]
