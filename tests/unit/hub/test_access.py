"""Agreements refuse roles without the right, mask personal data and log classified reads."""

from pathlib import Path

import pytest

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.hub.access import AccessDenied, DataAccess, Reader, count_denied, mask_value, read_access_log
from taxloop.hub.registry import load_registry


def test_mask_value_keeps_ends() -> None:
    assert mask_value("440301199001011234") == "440*************34"
    assert mask_value("1234") == "****"
    assert mask_value(None) is None


def test_refusal_masking_and_log(hub_wh: DuckDBBackend, tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    access = DataAccess(hub_wh, load_registry(), log)
    with pytest.raises(AccessDenied, match="administrator"):
        access.read(Reader("u1", "administrator", "curiosity"), "property_transfers")
    analyst = access.read(Reader("u2", "analyst", "price check"), "property_transfers")
    assert analyst.column("seller_id").to_pylist() == ["440*************11"]
    inspector = access.read(Reader("u3", "inspector", "audit"), "property_transfers")
    assert inspector.column("seller_id").to_pylist() == ["440301197001011111"]
    entries = read_access_log(log)
    assert [(e["user"], e["denied"]) for e in entries] == [("u1", True), ("u2", False), ("u3", False)]
    assert count_denied(entries) == 1


def test_own_tables_are_masked_but_not_logged(hub_wh: DuckDBBackend, tmp_path: Path) -> None:
    log = tmp_path / "access.jsonl"
    access = DataAccess(hub_wh, load_registry(), log)
    rows = access.read(Reader("u", "administrator"), "taxpayers", ["tin", "legal_rep_id", "phone"], where_tin="T1")
    assert rows.to_pylist() == [{"tin": "T1", "legal_rep_id": "440*************34", "phone": "138******01"}]
    assert read_access_log(log) == []
