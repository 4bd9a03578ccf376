"""The 360° profile of one resolved taxpayer, as a pydantic model the CLI, API and web render.

Look-up by entity_id, TIN or registration_id. Every section reads one warehouse table; a section
whose table is absent is empty and named in ``missing_tables`` (never silently passed).
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from pydantic import BaseModel, Field

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.sqltext import lit


class PersonLink(BaseModel):
    """A person behind the taxpayer and the other firms they are behind."""

    person_id: str
    name: str | None = None
    roles: list[str]
    other_firms: list[dict[str, Any]] = Field(default_factory=list)


class TaxpayerProfile(BaseModel):
    """Everything the bureau knows about one resolved taxpayer."""

    key: str
    entity_id: str
    tins: list[str]
    registrations: list[dict[str, Any]] = Field(default_factory=list)
    changes: list[dict[str, Any]] = Field(default_factory=list)
    vat_returns: list[dict[str, Any]] = Field(default_factory=list)
    cit_returns: list[dict[str, Any]] = Field(default_factory=list)
    payments: list[dict[str, Any]] = Field(default_factory=list)
    invoices_out: list[dict[str, Any]] = Field(default_factory=list)
    invoices_in: list[dict[str, Any]] = Field(default_factory=list)
    third_party: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    people: list[PersonLink] = Field(default_factory=list)
    audits: list[dict[str, Any]] = Field(default_factory=list)
    risk_hits: list[dict[str, Any]] = Field(default_factory=list)
    network: dict[str, Any] | None = None
    gang: list[dict[str, Any]] = Field(default_factory=list)
    missing_tables: list[str] = Field(default_factory=list)


def _in(values: list[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")" if values else "(NULL)"


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k.startswith("_"):
            continue
        if isinstance(v, decimal.Decimal):
            v = float(v)
        elif isinstance(v, dt.datetime | dt.date):
            v = v.isoformat()
        out[k] = v
    return out


class _Reader:
    def __init__(self, backend: AnalyticsBackend) -> None:
        self.backend = backend
        self.missing: list[str] = []

    def rows(self, table: str, sql: str) -> list[dict[str, Any]]:
        if not self.backend.has_table(table):
            if table not in self.missing:
                self.missing.append(table)
            return []
        return [_clean(r) for r in self.backend.query(sql).to_pylist()]


def resolve_key(backend: AnalyticsBackend, key: str) -> tuple[str, list[str]]:
    """``(entity_id, tins)`` for an entity_id, TIN or registration_id; LookupError when unknown."""
    k = lit(key)
    if backend.has_table("entity_map"):
        rows = backend.query(
            f"SELECT DISTINCT entity_id FROM entity_map WHERE entity_id = {k} OR tin = {k} OR registration_id = {k}"
        ).to_pylist()
        if rows:
            entity = str(rows[0]["entity_id"])
            tins = backend.query(f"SELECT DISTINCT tin FROM entity_map WHERE entity_id = {lit(entity)} ORDER BY tin")
            return entity, [str(t) for t in tins["tin"].to_pylist()]
    if backend.has_table("taxpayers"):
        rows = backend.query(f"SELECT DISTINCT tin FROM taxpayers WHERE tin = {k} OR registration_id = {k}").to_pylist()
        if rows:
            return str(rows[0]["tin"]), [str(rows[0]["tin"])]
    raise LookupError(f"no taxpayer with entity_id, TIN or registration_id {key!r} / 未找到纳税人 {key}")


def _counterparties(r: _Reader, tins: str, own: str, other: str) -> list[dict[str, Any]]:
    return r.rows(
        "invoices",
        f"SELECT i.{other} AS counterparty_tin, any_value(t.name) AS counterparty_name, "
        "sum(CAST(i.amount AS DOUBLE)) AS value, count(*) AS invoices, min(i.issued_on) AS first_on, "
        f"max(i.issued_on) AS last_on FROM invoices i LEFT JOIN taxpayers t ON t.tin = i.{other} "
        f"WHERE i.{own} IN {tins} AND i.status = 'valid' GROUP BY 1 ORDER BY value DESC LIMIT 20",
    )


def _people(r: _Reader, registrations: list[dict[str, Any]], tins: str) -> list[PersonLink]:
    found: dict[str, PersonLink] = {}
    for reg in registrations:
        for col, role, name_col in (
            ("legal_rep_id", "legal_representative", "legal_rep_name"),
            ("finance_officer_id", "finance_officer", None),
        ):
            pid = reg.get(col)
            if not pid:
                continue
            link = found.setdefault(str(pid), PersonLink(person_id=str(pid), roles=[]))
            if role not in link.roles:
                link.roles.append(role)
            if name_col and reg.get(name_col):
                link.name = str(reg[name_col])
    for pid, link in found.items():
        link.other_firms = r.rows(
            "taxpayers",
            "SELECT DISTINCT tin, name, status, CASE WHEN legal_rep_id = "
            f"{lit(pid)} THEN 'legal_representative' ELSE 'finance_officer' END AS role FROM taxpayers "
            f"WHERE (legal_rep_id = {lit(pid)} OR finance_officer_id = {lit(pid)}) AND tin NOT IN {tins} "
            "ORDER BY tin LIMIT 50",
        )
    return list(found.values())


THIRD_PARTY = {
    "social_insurance": "tin",
    "utilities": "tin",
    "customs_declarations": "tin",
    "land_parcels": "holder_id",
    "market_registrations": "credit_code",
}


def build_profile(backend: AnalyticsBackend, key: str) -> TaxpayerProfile:
    """The 360° profile of the taxpayer named by ``key`` (entity_id, TIN or registration_id)."""
    entity_id, tin_list = resolve_key(backend, key)
    tins = _in(tin_list)
    r = _Reader(backend)
    regs = r.rows("taxpayers", f"SELECT * FROM taxpayers WHERE tin IN {tins} ORDER BY registered_on, registration_id")
    profile = TaxpayerProfile(key=key, entity_id=entity_id, tins=tin_list, registrations=regs)
    profile.changes = r.rows(
        "taxpayer_changes",
        f"SELECT * FROM taxpayer_changes WHERE tin IN {tins} OR (field = 'tin' AND "
        f"(old_value IN {tins} OR new_value IN {tins})) ORDER BY changed_on",
    )
    profile.vat_returns = r.rows("vat_returns", f"SELECT * FROM vat_returns WHERE tin IN {tins} ORDER BY period")
    profile.cit_returns = r.rows("cit_returns", f"SELECT * FROM cit_returns WHERE tin IN {tins} ORDER BY year")
    profile.payments = r.rows("payments", f"SELECT * FROM payments WHERE tin IN {tins} ORDER BY period, tax_type")
    if backend.has_table("taxpayers"):
        profile.invoices_out = _counterparties(r, tins, "seller_tin", "buyer_tin")
        profile.invoices_in = _counterparties(r, tins, "buyer_tin", "seller_tin")
    for table, col in THIRD_PARTY.items():
        profile.third_party[table] = r.rows(table, f"SELECT * FROM {table} WHERE {col} IN {tins}")
    profile.third_party["property_transfers"] = r.rows(
        "property_transfers",
        f"SELECT * FROM property_transfers WHERE seller_id IN {tins} OR buyer_id IN {tins} ORDER BY contract_on",
    )
    profile.people = _people(r, regs, tins)
    profile.audits = r.rows("audit_outcomes", f"SELECT * FROM audit_outcomes WHERE tin IN {tins} ORDER BY opened_on")
    profile.risk_hits = r.rows(
        "indicator_hits",
        f"SELECT * FROM indicator_hits WHERE subject_id = {lit(entity_id)} OR tin IN {tins} ORDER BY code",
    )
    net = r.rows("network_features", f"SELECT * FROM network_features WHERE tin IN {tins}")
    profile.network = net[0] if net else None
    gang_ids = sorted({str(n["gang_id"]) for n in net if n.get("gang_id")})
    if gang_ids:
        profile.gang = r.rows("gangs", f"SELECT * FROM gangs WHERE gang_id IN {_in(gang_ids)} ORDER BY role, tin")
    profile.missing_tables = r.missing
    return profile
