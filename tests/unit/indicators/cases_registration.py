"""Registration and third-party indicator cases: (fires, quiet) edits of the target firm."""

from __future__ import annotations

from case_helpers import Mutation, months, scale, set_vat, zero_vat
from indicator_city import City


def _share(field: str, n_others: int) -> Mutation:
    def run(c: City) -> None:
        tins = {c.T, *(c.B(i) for i in range(n_others))}
        c.edit("taxpayers", lambda r: r["tin"] in tins, **{field: f"{c.w}-shared"})

    return run


def _changes(fields: list[str]) -> Mutation:
    def run(c: City) -> None:
        for k, f in enumerate(fields):
            c.add(
                "taxpayer_changes", tin=c.T, field=f, old_value="old", new_value="new", changed_on=f"2024-0{k + 2}-10"
            )

    return run


def _deregistered(on: str) -> Mutation:
    return lambda c: c.edit("taxpayers", lambda r: r["tin"] == c.T, status="deregistered", deregistered_on=on)


def _stop_selling_late_2024(c: City) -> None:
    late = tuple(months(2024, 7, 6))
    c.drop("invoices", lambda r: r["seller_tin"] == c.T and r["issued_on"][:7] in late)


def _abnormal(stop: bool) -> Mutation:
    def run(c: City) -> None:
        c.edit("taxpayers", lambda r: r["tin"] == c.T, status="abnormal")
        if stop:
            _stop_selling_late_2024(c)

    return run


def _rep_of_abnormal(abnormal: bool) -> Mutation:
    def run(c: City) -> None:
        c.edit(
            "taxpayers",
            lambda r: r["tin"] == c.B(0),
            legal_rep_id=f"LR{c.T}",
            status="abnormal" if abnormal else "normal",
        )

    return run


def _revoked(stop: bool) -> Mutation:
    def run(c: City) -> None:
        c.edit("market_registrations", lambda r: r["credit_code"] == c.T, status="revoked")
        if stop:
            _stop_selling_late_2024(c)

    return run


def _no_staff(staff: int | None) -> Mutation:
    def run(c: City) -> None:
        if staff is None:
            c.drop("iit_withholding", lambda r: r["tin"] == c.T)
            c.drop("social_insurance", lambda r: r["tin"] == c.T)
        else:
            c.edit("iit_withholding", lambda r: r["tin"] == c.T, employees=staff)
            c.edit("social_insurance", lambda r: r["tin"] == c.T, insured_employees=staff)

    return run


def _exports(declared: float) -> Mutation:
    def run(c: City) -> None:
        for k in range(3):
            c.add(
                "customs_declarations",
                declaration_id=f"{c.w}D{k}",
                tin=c.T,
                declared_on=f"2024-0{k + 3}-15",
                direction="export",
                value=1_000_000,
                hs_code="9403600000",
                provider="CUSTOMS",
                delivered_on="2024-12-31",
            )
        c.edit("vat_returns", lambda r: r["tin"] == c.T and r["period"].startswith("2024"), exempt_sales=declared)

    return run


def _zero_with_power(kwh: float | None) -> Mutation:
    def run(c: City) -> None:
        periods = months(2024, 1, 5)
        zero_vat(c, periods)
        if kwh is not None:
            c.edit("utilities", lambda r: r["tin"] == c.T and r["period"] in periods, kwh=kwh)

    return run


def _power_up(sales: float) -> Mutation:
    def run(c: City) -> None:
        scale(c, "utilities", ["kwh"], 1.3, months(2024))
        set_vat(c, months(2024), sales=sales)

    return run


CASES: dict[str, tuple[Mutation, Mutation]] = {
    "REG_SHARED_LEGAL_REP": (_share("legal_rep_id", 2), _share("legal_rep_id", 1)),
    "REG_SHARED_PHONE": (_share("phone", 2), _share("phone", 1)),
    "REG_SHARED_FINANCE_OFFICER": (_share("finance_officer_id", 3), _share("finance_officer_id", 2)),
    "REG_FREQUENT_CHANGES": (_changes(["address", "phone", "name"]), _changes(["address", "phone"])),
    "REG_LOW_CAPITAL_HIGH_SALES": (
        lambda c: c.edit("taxpayers", lambda r: r["tin"] == c.T, registered_capital=10_000),
        lambda c: c.edit("taxpayers", lambda r: r["tin"] == c.T, registered_capital=100_000),
    ),
    "REG_DEREGISTERED_STILL_ACTIVE": (_deregistered("2024-06-30"), _deregistered("2024-12-31")),
    "REG_ABNORMAL_STILL_INVOICING": (_abnormal(False), _abnormal(True)),
    "REG_LEGAL_REP_OF_ABNORMAL": (_rep_of_abnormal(True), _rep_of_abnormal(False)),
    "TP_MARKET_REVOKED_ACTIVE": (_revoked(False), _revoked(True)),
    "TP_POWER_VS_SALES_HIGH": (
        lambda c: scale(c, "utilities", ["kwh"], 4.0),
        lambda c: scale(c, "utilities", ["kwh"], 1.5),
    ),
    "TP_POWER_TINY_HIGH_SALES": (
        lambda c: scale(c, "utilities", ["kwh"], 0.05),
        lambda c: scale(c, "utilities", ["kwh"], 0.3),
    ),
    "TP_NO_STAFF_HIGH_SALES": (_no_staff(None), _no_staff(2)),
    "TP_CUSTOMS_EXPORT_NOT_DECLARED": (_exports(0.0), _exports(250_000.0)),
    "TP_POWER_ZERO_DECL": (_zero_with_power(None), _zero_with_power(500.0)),
    "TP_POWER_UP_SALES_DOWN": (_power_up(0.7), _power_up(0.9)),
}
