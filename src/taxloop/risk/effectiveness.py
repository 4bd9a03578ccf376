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

import numpy as np
import pandas as pd

CONFIRMED = ("adjusted", "fraud")


@dataclass(frozen=True)
class EffectivenessParams:
    """Minimum audited hits per cycle for the retirement test, and cycles needed."""

    min_audited: int = 3
    cycles: int = 2


def audit_cases(audits: pd.DataFrame, tin_to_entity: Mapping[str, str]) -> pd.DataFrame:
    """The audits with ``entity_id`` (the TIN's resolved taxpayer, else the TIN), ``confirmed``, numeric
    ``tax_recovered`` and ``cycle`` (year opened). The TINs are looked up in one vectorised pass."""
    frame = audits.copy()
    tins = frame["tin"].astype(str)
    keys = pd.Index(list(tin_to_entity), dtype=object)
    at = keys.get_indexer(tins.to_numpy(dtype=object)) if len(keys) else np.full(len(tins), -1)
    entities = np.asarray([*tin_to_entity.values(), None], dtype=object)[at]  # -1: the None after them
    frame["entity_id"] = tins.where(at < 0, pd.Series(entities, index=frame.index, dtype=object))
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
    cases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per indicator code in ``hits`` (``code, subject_id``) with its effectiveness figures.

    ``cases`` is ``audit_cases(audits, tin_to_entity)`` when the caller has it already."""
    params = params or EffectivenessParams()
    if hits.empty:
        return pd.DataFrame({"code": pd.Series(dtype=str)})
    pairs = hits[["code", "subject_id"]].drop_duplicates().rename(columns={"subject_id": "entity_id"})
    out = pd.DataFrame({"hits": hits.groupby("code").size(), "taxpayers": pairs.groupby("code").size()})
    if audits is not None and not audits.empty:
        cases = audit_cases(audits, tin_to_entity) if cases is None else cases
        base = random_baseline(cases)
        per_entity = cases.groupby("entity_id").agg(confirmed=("confirmed", "max"), tax=("tax_recovered", "sum"))
        audited = pairs.merge(per_entity, left_on="entity_id", right_index=True)
        agg = audited.groupby("code").agg(
            audited=("entity_id", "size"), confirmed=("confirmed", "sum"), tax=("tax", "sum")
        )
        out = out.join(agg)
        out[["audited", "confirmed"]] = out[["audited", "confirmed"]].fillna(0).astype(int)
        out["hit_rate"] = (out["confirmed"] / out["audited"]).where(out["audited"] > 0)
        out["tax_per_hit"] = (out["tax"] / out["audited"]).where(out["audited"] > 0)
        out["random_rate"] = base
        out["lift"] = out["hit_rate"] / base if base else None
        out = out.drop(columns=["tax"]).join(_retirement(pairs, cases, params))
    if truth_entities is not None:
        true_pos = pairs[pairs["entity_id"].isin(truth_entities)].groupby("code").size()
        out["truth_precision"] = true_pos.reindex(out.index).fillna(0) / out["taxpayers"]
        share = len(truth_entities) / taxpayers if taxpayers else None
        out["truth_lift"] = out["truth_precision"] / share if share else None
    return out.rename_axis("code").reset_index()


def _retirement(pairs: pd.DataFrame, cases: pd.DataFrame, params: EffectivenessParams) -> pd.DataFrame:
    """Per code: hit rate per cycle and whether its last ``params.cycles`` usable cycles are all <= random."""
    dated = cases.dropna(subset=["cycle"])
    base = {int(c): random_baseline(g) for c, g in dated.groupby("cycle")}
    per = dated.groupby(["entity_id", "cycle"])["confirmed"].max().reset_index()
    per = pairs.merge(per, on="entity_id")
    rates = per.groupby(["code", "cycle"])["confirmed"].agg(["mean", "size"]).reset_index()
    rates["base"] = rates["cycle"].map(lambda c: base.get(int(c)))
    rates = rates[(rates["size"] >= params.min_audited) & rates["base"].notna()].sort_values(["code", "cycle"])
    rows = {}
    for code, group in rates.groupby("code"):
        last = group.tail(params.cycles)
        retire = len(last) == params.cycles and bool((last["mean"] <= last["base"]).all())
        text = ";".join(
            f"{int(c)}:{m:.2f}/{b:.2f}" for c, m, b in group[["cycle", "mean", "base"]].itertuples(index=False)
        )
        rows[code] = {"cycles": text, "retire": retire}
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["cycles", "retire"])
    return frame.reindex(pairs["code"].unique()).fillna({"cycles": "", "retire": False}).astype({"retire": bool})
