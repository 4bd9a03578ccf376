"""Every network indicator fires on a firm that shows its pattern and not on one that does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from taxloop.rules.compile import compile_rule
from taxloop.rules.spec import load_rules

FOLDER = Path(__file__).resolve().parents[2] / "src" / "taxloop" / "library" / "indicators" / "network"

BASE: dict[str, Any] = {
    "in_degree": 2,
    "out_degree": 2,
    "in_value": 1_000_000.0,
    "out_value": 1_000_000.0,
    "in_invoices": 5,
    "out_invoices": 5,
    "pass_through_ratio": 0.2,
    "input_output_ratio": 1.0,
    "pass_lag_days": 40.0,
    "goods_change_share": 0.0,
    "abnormal_new_input_share": 0.0,
    "max_pair_day_invoices": 1,
    "staff": 20.0,
    "kwh": 30000.0,
    "cycle_count": 0,
    "cycle_example": None,
    "in_cycle": False,
    "split_invoicing": False,
    "pass_signals": 0,
    "flagged_input_value": 0.0,
    "flagged_input_share": 0.0,
    "role": None,
    "evidence": "",
    "gang_id": None,
}

# code -> (features of a firm that must fire, of one that must not)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "NET_SOURCE": ({"role": "source", "out_value": 900_000.0, "in_value": 0.0}, {"role": None}),
    "NET_PASS_THROUGH": (
        {"role": "pass_through", "pass_through_ratio": 0.95, "pass_signals": 3},
        {"role": None, "pass_through_ratio": 0.95},
    ),
    "NET_RECIPIENT": (
        {"role": "recipient", "flagged_input_share": 0.8, "flagged_input_value": 800_000.0},
        {"role": "recipient", "flagged_input_share": 0.1},
    ),
    "NET_CYCLE": ({"cycle_count": 2, "in_cycle": True, "cycle_example": "A -> B -> A"}, {"cycle_count": 0}),
    "NET_GANG": ({"gang_id": "G-X"}, {"gang_id": "G-Y"}),
    "NET_SPLIT_INVOICING": ({"max_pair_day_invoices": 6}, {"max_pair_day_invoices": 2}),
    "NET_ABNORMAL_INPUTS": ({"abnormal_new_input_share": 0.9}, {"abnormal_new_input_share": 0.1}),
    "NET_GOODS_MISMATCH": (
        {"goods_change_share": 0.95, "pass_through_ratio": 0.9},
        {"goods_change_share": 0.95, "pass_through_ratio": 0.1},
    ),
}


def _run(sql: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    con = duckdb.connect()
    try:
        con.register("network_features", pa.Table.from_pylist(rows))
        con.register(
            "entity_map",
            pa.table(
                {
                    "registration_id": ["r1", "r2", "r3"],
                    "tin": ["HIT", "HIT", "MISS"],
                    "entity_id": ["E-HIT", "E-HIT", "E-MISS"],
                }
            ),
        )
        return con.sql(sql).to_arrow_table().to_pylist()
    finally:
        con.close()


def test_every_network_rule_has_a_case() -> None:
    assert {s.code for s in load_rules(FOLDER)} == set(CASES) | {"NET_BUYER_SPIKE"}


def test_buyer_spike_fires_on_the_spike_month_only() -> None:
    spec = next(s for s in load_rules(FOLDER) if s.code == "NET_BUYER_SPIKE")
    # HIT: 2-3 buyers a month, then 30 in 2024-05; MISS: always about 20 buyers (no spike)
    degrees = {"HIT": [2, 3, 2, 30, 3], "MISS": [20, 22, 19, 25, 21]}
    rows = [
        {"tin": tin, "period": f"2024-0{m + 1}", "out_degree": d, "in_degree": 1, "out_value": 1e5 * d}
        for tin, ds in degrees.items()
        for m, d in enumerate(ds)
    ]
    con = duckdb.connect()
    try:
        con.register("network_period", pa.Table.from_pylist(rows))
        con.register("entity_map", pa.table({"registration_id": ["r1"], "tin": ["HIT"], "entity_id": ["E-HIT"]}))
        hits = con.sql(compile_rule(spec)).to_arrow_table().to_pylist()
    finally:
        con.close()
    assert [(h["subject_id"], h["period"], h["value"]) for h in hits] == [("E-HIT", "2024-04", 30.0)]
    assert hits[0]["threshold"] == 12.0 and "buyers=30" in hits[0]["evidence"]


@pytest.mark.parametrize("code", sorted(CASES))
def test_indicator_fires_and_does_not(code: str) -> None:
    spec = next(s for s in load_rules(FOLDER) if s.code == code)
    fire, quiet = CASES[code]
    rows = [{**BASE, "tin": "HIT", **fire}, {**BASE, "tin": "MISS", **quiet}]
    if code == "NET_GANG":  # gang G-X has three members, G-Y only two
        rows += [{**BASE, "tin": "H2", **fire}, {**BASE, "tin": "H3", **fire}, {**BASE, "tin": "M2", **quiet}]
    hits = _run(compile_rule(spec), rows)
    subjects = {h["subject_id"] for h in hits}
    assert "E-HIT" in subjects, f"{code} did not fire"
    assert "E-MISS" not in subjects and "M2" not in subjects, f"{code} fired on a firm without the pattern"
    hit = next(h for h in hits if h["subject_id"] == "E-HIT")
    assert hit["tin"] == "HIT" and hit["evidence"] and hit["value"] is not None and hit["threshold"] is not None
    assert list(hits[0])[:3] == ["subject_id", "tin", "period"]
