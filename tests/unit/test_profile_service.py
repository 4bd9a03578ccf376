"""The 360° profile on the crafted world."""

from __future__ import annotations

from pathlib import Path

import pytest
from entity_world import build_world

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.entity.resolve import identity_entity_map
from taxloop.network.analyze import NetworkOptions, analyze_network
from taxloop.network.roles import RoleOptions
from taxloop.profile.render import render_profile
from taxloop.profile.service import build_profile


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> DuckDBBackend:
    backend = build_world(tmp_path_factory.mktemp("profile"))
    identity_entity_map(backend)
    analyze_network(backend, NetworkOptions(roles=RoleOptions(min_value=100_000)))
    return backend


def test_profile_of_a_source_firm(world: DuckDBBackend) -> None:
    p = build_profile(world, "S1")
    assert p.entity_id == "S1" and p.tins == ["S1"]
    assert [r["registration_id"] for r in p.registrations] == ["RS1"]
    assert [c["field"] for c in p.changes] == ["legal_rep_id"]
    assert {c["counterparty_tin"] for c in p.invoices_out} == {"P1", "P2"} and p.invoices_in == []
    rep = next(person for person in p.people if person.person_id == "L1")
    assert {f["tin"] for f in rep.other_firms} == {"P1", "P2"}
    assert p.audits[0]["finding"] == "fraud"
    assert p.network is not None and p.network["role"] == "source"
    assert {g["tin"] for g in p.gang} >= {"S1", "P1", "P2"}
    assert [r["kwh"] for r in p.third_party["utilities"]] == [120.0]
    assert "vat_returns" in p.missing_tables and "indicator_hits" in p.missing_tables


def test_lookup_by_registration_id_and_unknown_key(world: DuckDBBackend) -> None:
    assert build_profile(world, "RP1").entity_id == "P1"
    with pytest.raises(LookupError, match="no taxpayer"):
        build_profile(world, "NOPE")


def test_profile_renders_and_serialises(world: DuckDBBackend, tmp_path: Path) -> None:
    from rich.console import Console

    console = Console(file=(tmp_path / "out.txt").open("w", encoding="utf-8"), width=160)
    console.print(render_profile(build_profile(world, "P1")))
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert "一户式画像" in text and "Network features" in text
    assert '"entity_id":"P1"' in build_profile(world, "P1").model_dump_json()
