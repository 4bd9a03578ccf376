"""Network features, cycles, roles and gangs on the crafted world."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from entity_world import build_world

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.network.analyze import NetworkOptions, analyze_network
from taxloop.network.cycles import CycleOptions, find_cycles
from taxloop.network.gangs import detect_gangs
from taxloop.network.roles import RoleOptions


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[DuckDBBackend, dict[str, dict[str, object]]]:
    backend = build_world(tmp_path_factory.mktemp("world"))
    report = analyze_network(backend, NetworkOptions(roles=RoleOptions(min_value=100_000)))
    assert report.firms == 18 and report.cycles == 1
    rows = backend.query("SELECT * FROM network_features").to_pylist()
    return backend, {str(r["tin"]): r for r in rows}


def test_roles_of_the_gang_and_none_for_normal_firms(
    analysed: tuple[DuckDBBackend, dict[str, dict[str, object]]],
) -> None:
    _, f = analysed
    assert f["S1"]["role"] == "source"
    assert f["P1"]["role"] == f["P2"]["role"] == "pass_through"
    assert {f[f"R{i}"]["role"] for i in range(1, 5)} == {"recipient"}
    assert all(f[f"N{i}"]["role"] is None for i in range(1, 9))


def test_features_measure_flows_lag_and_goods(analysed: tuple[DuckDBBackend, dict[str, dict[str, object]]]) -> None:
    _, f = analysed
    p1 = f["P1"]
    assert p1["in_value"] == 500_000 and p1["out_value"] == 480_000 and p1["out_degree"] == 2
    assert p1["pass_lag_days"] == 3 and p1["goods_change_share"] == 1.0
    assert p1["abnormal_new_input_share"] == 1.0  # S1 registered two months before the invoice
    assert f["N3"]["goods_change_share"] == 1.0 and f["N1"]["abnormal_new_input_share"] == 0.0
    assert f["N5"]["split_invoicing"] and f["N5"]["max_pair_day_invoices"] == 4
    assert not f["N1"]["split_invoicing"]


def test_cycle_members_found_and_normal_ring_too_long(
    analysed: tuple[DuckDBBackend, dict[str, dict[str, object]]],
) -> None:
    _, f = analysed
    assert [f[c]["cycle_count"] for c in ("C1", "C2", "C3")] == [1, 1, 1]
    assert "C1 -> C2 -> C3 -> C1" in str(f["C1"]["cycle_example"])
    # N1..N8 trade in a ring of 8 firms: longer than the 6-firm limit, so no cycle
    assert all(f[f"N{i}"]["cycle_count"] == 0 for i in range(1, 9))


def test_gangs_group_members_with_roles(analysed: tuple[DuckDBBackend, dict[str, dict[str, object]]]) -> None:
    backend, f = analysed
    gangs = backend.query("SELECT * FROM gangs").to_pylist()
    by_gang: dict[str, set[str]] = {}
    for g in gangs:
        by_gang.setdefault(str(g["gang_id"]), set()).add(str(g["tin"]))
    assert {"S1", "P1", "P2", "R1", "R2", "R3", "R4"} <= by_gang[str(f["S1"]["gang_id"])]
    assert {"C1", "C2", "C3"} == by_gang[str(f["C1"]["gang_id"])]
    assert f["N1"]["gang_id"] is None
    s1 = next(g for g in gangs if g["tin"] == "S1")
    assert s1["role"] == "source" and "legal_rep_id" in str(s1["evidence"])


def test_cycle_search_needs_similar_amounts() -> None:
    edges = pa.table(
        {
            "seller_tin": ["A", "B", "C"],
            "buyer_tin": ["B", "C", "A"],
            "value": [100.0, 98.0, 10.0],
            "first_on": pa.array([1, 2, 3], pa.int32()).cast(pa.date32()),
        }
    )
    assert find_cycles(edges).cycles == []
    similar = edges.set_column(2, "value", pa.array([100.0, 98.0, 96.0]))
    assert find_cycles(similar).cycles == [["A", "B", "C"]]
    assert find_cycles(similar, CycleOptions(max_degree=1)).cycles == []


def test_gangs_need_a_core_member_and_min_size() -> None:
    flagged = [
        {"tin": "A", "role": "recipient", "in_cycle": False},
        {"tin": "B", "role": "recipient", "in_cycle": False},
        {"tin": "C", "role": "recipient", "in_cycle": False},
    ]
    trade = [("A", "B"), ("B", "C")]
    assert detect_gangs(flagged, trade, []).num_rows == 0
    flagged[0]["role"] = "source"
    assert sorted(detect_gangs(flagged, trade, []).column("tin").to_pylist()) == ["A", "B", "C"]


def test_missing_invoices_is_a_clear_error(tmp_path: Path) -> None:
    from taxloop.analytics.warehouse import Warehouse

    backend = DuckDBBackend(Warehouse(tmp_path).ensure())
    with pytest.raises(ValueError, match="invoices is absent"):
        analyze_network(backend)
