"""A tiny crafted bureau for integrity-rule tests: officers, clean baseline work, and helpers to add operations.

The baseline is clean for every integrity rule (a test checks that); each rule test adds either a violation or a
near miss on top of it and runs the real rule file through the real scan code on DuckDB.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.integrity.eventlog_import import OPERATION_LOG_SCHEMA
from taxloop.integrity.scan import run_rule
from taxloop.rules.spec import RuleSpec

TABLES = ("operation_log", "officers", "taxpayers", "payments", "audit_outcomes")
WED = dt.datetime(2025, 3, 5, 9, 0)  # a Wednesday


class World:
    """Builder of crafted contract tables."""

    def __init__(self) -> None:
        self.ops: list[dict[str, Any]] = []
        self.officers: list[dict[str, Any]] = []
        self.taxpayers: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []
        self._n = 0

    def officer(self, oid: str, level: int = 2, role: str = "administrator", unit: str = "U1", **kw: Any) -> str:
        """Add an officer."""
        row = {
            "officer_id": oid,
            "name": oid,
            "id_number": None,
            "address": None,
            "phone": None,
            "unit_code": unit,
            "region_code": "R1",
            "role": role,
            "level": level,
            "skills": None,
            "active_from": dt.date(2020, 1, 1),
            "active_to": None,
        }
        row.update(kw)
        self.officers.append(row)
        return oid

    def taxpayer(self, tin: str, **kw: Any) -> str:
        """Add a registration record."""
        row = {
            "registration_id": f"REG-{tin}",
            "tin": tin,
            "name": f"公司{tin}",
            "kind": "enterprise",
            "legal_rep_id": f"LR{tin}",
            "legal_rep_name": "x",
            "finance_officer_id": f"FO{tin}",
            "address": f"深圳市福田区{tin}号",
            "phone": f"0755{tin[-4:]:0>8}",
            "industry_code": "C3911",
            "region_code": "R1",
            "vat_status": "general",
            "registered_capital": Decimal("100.00"),
            "registered_on": dt.date(2015, 1, 1),
            "deregistered_on": None,
            "status": "normal",
        }
        row.update(kw)
        self.taxpayers.append(row)
        return tin

    def op(
        self,
        officer: str,
        action: str,
        case: str | None = None,
        ts: dt.datetime = WED,
        *,
        matter: str = "VAT_REFUND",
        tin: str | None = None,
        amount: float | None = None,
        level: int | None = None,
        note: str | None = None,
        system: str = "management",
        due: dt.datetime | None = None,
    ) -> str:
        """Add an operation; returns its op_id."""
        self._n += 1
        op_id = f"OP{self._n:05d}"
        self.ops.append(
            {
                "op_id": op_id,
                "ts": ts,
                "officer_id": officer,
                "system": system,
                "matter_code": matter,
                "case_id": case,
                "tin": tin,
                "action": action,
                "amount": None if amount is None else Decimal(str(amount)).quantize(Decimal("0.01")),
                "required_level": level,
                "note": note,
                "activity": action,
                "lifecycle": None,
                "action_class": action,
                "due_ts": due,
                "source_log": None,
                "_src_file": None,
                "_src_line": self._n,
            }
        )
        return op_id

    def tables(self) -> dict[str, pa.Table]:
        """The contract tables as Arrow."""
        out = {"operation_log": pa.Table.from_pylist(self.ops, schema=OPERATION_LOG_SCHEMA)}
        for name, rows in (
            ("officers", self.officers),
            ("taxpayers", self.taxpayers),
            ("payments", self.payments),
            ("audit_outcomes", self.audit),
        ):
            if rows:
                out[name] = pa.Table.from_pylist(rows)
        return out

    def load(self, backend: DuckDBBackend) -> DuckDBBackend:
        """Replace the backend's in-memory tables with this world's."""
        for name in TABLES:
            backend.con.execute(f'DROP TABLE IF EXISTS "{name}"')
        for name, table in self.tables().items():
            backend.con.register(f"_{name}", table)
            backend.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "_{name}"')
            backend.con.unregister(f"_{name}")
        return backend

    def backend(self, root: Path) -> DuckDBBackend:
        """A new DuckDB backend whose tables are this world's."""
        return self.load(DuckDBBackend(Warehouse(root).ensure(), threads=1))

    def run(self, spec: RuleSpec, backend: DuckDBBackend, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Hits of one rule as dicts (the world's tables are loaded into ``backend`` first)."""
        return run_rule(self.load(backend), spec, "test", params).to_pylist()


def baseline(n_cases: int = 24) -> World:
    """Clean work: approval cases split over officers, risk tasks with mixed results, a few queries."""
    w = World()
    for i in range(1, 7):
        w.officer(f"A{i}", level=2, unit="U1")
    w.officer("L1", level=5, role="leader", unit="U2")
    w.officer("L2", level=5, role="leader", unit="U2")
    w.officer("L3", level=5, role="leader", unit="U2")
    w.officer("L4", level=5, role="leader", unit="U2")
    w.officer("R1", level=3, role="reviewer", unit="U3")
    for i in range(1, 4):
        w.officer(f"I{i}", level=3, role="inspector", unit="U4")
    for i in range(12):
        w.taxpayer(f"T{i:03d}")
    matters = ["VAT_REFUND", "TAX_REDUCTION", "DEFERRAL", "INVOICE_QUOTA"]
    for i in range(n_cases):
        day = WED + dt.timedelta(days=7 * (i // 4))
        case, tin, m = f"C{i:03d}", f"T{i % 12:03d}", matters[i % 4]
        sub, chk, app = f"A{i % 6 + 1}", f"A{(i + 1) % 6 + 1}", f"L{(i // 12 + i) % 4 + 1}"
        amt = 1234.0 * (i + 1)
        w.op(sub, "submit", case, day, matter=m, tin=tin, amount=amt)
        w.op(chk, "accept", case, day + dt.timedelta(hours=1), matter=m, tin=tin)
        w.op(app, "approve", case, day + dt.timedelta(hours=5), matter=m, tin=tin, amount=amt, level=3)
        w.op(chk, "close", case, day + dt.timedelta(days=1, hours=1), matter=m, tin=tin)
    for i in range(18):
        case, off, tin = f"K{i:03d}", f"A{i % 6 + 1}", f"T{(i + 5) % 12:03d}"
        t0 = WED + dt.timedelta(days=7 * i)
        note = "no_issue" if i % 3 == 0 else "adjusted: tax assessed"
        w.op(off, "accept", case, t0, matter="RISK_RESPONSE", tin=tin, level=3)
        w.op(off, "query", case, t0 + dt.timedelta(days=2), matter="RISK_RESPONSE", tin=tin)
        w.op(off, "close", case, t0 + dt.timedelta(days=14), matter="RISK_RESPONSE", tin=tin, level=3, note=note)
    for i in range(9):
        case, off, tin = f"P{i:03d}", f"I{i % 3 + 1}", f"T{i % 12:03d}"
        t0 = WED + dt.timedelta(days=7 * i)
        w.op(off, "accept", case, t0, matter="PENALTY", tin=tin, system="inspection")
        w.op(
            f"L{i % 2 + 1}",
            "approve",
            case,
            t0 + dt.timedelta(days=1),
            matter="PENALTY",
            tin=tin,
            amount=500.0 * (i + 1),
            system="inspection",
        )
        note = "no_issue" if i % 2 else "penalty"
        w.op(off, "close", case, t0 + dt.timedelta(days=2), matter="PENALTY", tin=tin, note=note, system="inspection")
    for i in range(12):
        tin = f"T{i:03d}"
        w.payments.append(
            {
                "tin": tin,
                "tax_type": "vat",
                "period": "2025-01",
                "due_on": dt.date(2025, 2, 15),
                "amount_due": Decimal("1000.00"),
                "amount_paid": Decimal("1000.00"),
                "paid_on": dt.date(2025, 2, 10),
            }
        )
        w.audit.append(
            {
                "case_id": f"AU{i:03d}",
                "tin": tin,
                "opened_on": dt.date(2024, 1, 1),
                "closed_on": dt.date(2024, 3, 1),
                "selection": "random",
                "finding": "adjusted" if i % 2 else "no_issue",
                "tax_recovered": Decimal("10.00"),
                "scheme": None,
            }
        )
    return w
