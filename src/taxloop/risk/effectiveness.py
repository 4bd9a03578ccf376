"""Indicator effectiveness: how often each indicator's hits are confirmed by audits (and by the truth).

For each indicator: hits, flagged taxpayers, audited flagged taxpayers, confirmed ones (an audit found
``adjusted`` or ``fraud``), hit rate = confirmed / audited, tax recovered per audited hit, and the lift
over the random-sample rate (confirmed share of audits whose selection was ``random``). Audit cycles
are calendar years of ``opened_on``; an indicator is flagged for retirement when, in each of the last
two cycles with enough audited hits, its hit rate is not above that cycle's random baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

CONFIRMED = ("adjusted", "fraud")


@dataclass(frozen=True)
class EffectivenessParams:
    """Minimum audited hits per cycle for the retirement test, and cycles needed."""

    min_audited: int = 3
    cycles: int = 2


def _cases(audits: pd.DataFrame, tin_to_entity: Mapping[str, str]) -> pd.DataFrame:
    frame = audits.copy()
    frame["entity_id"] = frame["tin"].astype(str).map(lambda t: tin_to_entity.get(t, t))
    frame["confirmed"] = frame["finding"].isin(CONFIRMED)
    frame["tax_recovered"] = pd.to_numeric(frame["tax_recovered"], errors="coerce").fillna(0.0)
    frame["cycle"] = pd.to_datetime(frame["opened_on"], errors="coerce").dt.year
    return frame


def random_baseline(cases: pd.DataFrame) -> float | None:
    """Confirmed share of randomly selected audit cases (None without random cases)."""
    rnd = cases[cases["selection"] == "random"]
    return float(rnd["confirmed"].mean()) if len(rnd) else None


def indicator_report(
    hits: pd.DataFrame,
    audits: pd.DataFrame | None,
    tin_to_entity: Mapping[str, str],
    truth_entities: set[str] | None = None,
    taxpayers: int = 0,
    params: EffectivenessParams | None = None,
) -> pd.DataFrame:
    """One row per indicator code in ``hits`` (``code, subject_id``) with its effectiveness figures."""
    params = params or EffectivenessParams()
    codes = sorted(hits["code"].unique()) if not hits.empty else []
    cases = _cases(audits, tin_to_entity) if audits is not None and not audits.empty else None
    base = random_baseline(cases) if cases is not None else None
    per_entity = (
        cases.groupby("entity_id").agg(confirmed=("confirmed", "max"), tax=("tax_recovered", "sum"))
        if cases is not None
        else None
    )
    cycle_base: dict[int, float | None] = {}
    if cases is not None:
        for cycle, group in cases.dropna(subset=["cycle"]).groupby("cycle"):
            cycle_base[int(cycle)] = random_baseline(group)
    planted_share = len(truth_entities) / taxpayers if truth_entities and taxpayers else None
    rows = []
    for code in codes:
        subjects = set(hits.loc[hits["code"] == code, "subject_id"])
        row: dict[str, object] = {"code": code, "hits": int((hits["code"] == code).sum()), "taxpayers": len(subjects)}
        if per_entity is not None and cases is not None:
            audited = per_entity[per_entity.index.isin(subjects)]
            hit_rate = float(audited["confirmed"].mean()) if len(audited) else None
            row |= {
                "audited": len(audited),
                "confirmed": int(audited["confirmed"].sum()),
                "hit_rate": hit_rate,
                "tax_per_hit": float(audited["tax"].sum() / len(audited)) if len(audited) else None,
                "random_rate": base,
                "lift": hit_rate / base if hit_rate is not None and base else None,
            }
            row |= _retirement(cases[cases["entity_id"].isin(subjects)], cycle_base, params)
        if truth_entities is not None:
            true_pos = len(subjects & truth_entities)
            precision = true_pos / len(subjects) if subjects else None
            row |= {
                "truth_precision": precision,
                "truth_lift": precision / planted_share if precision is not None and planted_share else None,
            }
        rows.append(row)
    return pd.DataFrame(rows)


def _retirement(
    flagged_cases: pd.DataFrame, cycle_base: Mapping[int, float | None], params: EffectivenessParams
) -> dict[str, object]:
    """Hit rate per cycle and whether the last ``params.cycles`` usable cycles are all at or below random."""
    usable: list[tuple[int, float, float]] = []
    for cycle, group in flagged_cases.dropna(subset=["cycle"]).groupby("cycle"):
        by_entity = group.groupby("entity_id")["confirmed"].max()
        baseline = cycle_base.get(int(cycle))
        if len(by_entity) >= params.min_audited and baseline is not None:
            usable.append((int(cycle), float(by_entity.mean()), baseline))
    last = sorted(usable)[-params.cycles :]
    retire = len(last) == params.cycles and all(rate <= baseline for _, rate, baseline in last)
    cycles_text = ";".join(f"{c}:{rate:.2f}/{b:.2f}" for c, rate, b in sorted(usable))
    return {"cycles": cycles_text, "retire": retire}
