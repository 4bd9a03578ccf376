"""IIT, CIT, property/land and filing/payment indicator cases: (fires, quiet) edits of the target firm."""

from __future__ import annotations

from case_helpers import Mutation, months, scale
from indicator_city import City


def _headcount(withheld: int, insured: int) -> Mutation:
    def run(c: City) -> None:
        c.edit("iit_withholding", lambda r: r["tin"] == c.T, employees=withheld)
        c.edit("social_insurance", lambda r: r["tin"] == c.T, insured_employees=insured)

    return run


def _drop_months(table: str, periods: list[str]) -> Mutation:
    return lambda c: c.drop(table, lambda r: r["tin"] == c.T and r["period"] in periods)


def _cit(**shares: float) -> Mutation:
    """Set CIT return fields of the target as shares of its revenue (profit recomputed unless given)."""

    def run(c: City) -> None:
        for r in c.rows("cit_returns", lambda r: r["tin"] == c.T):
            rev = r["revenue"]
            for k, v in shares.items():
                if k != "revenue_factor":
                    r[k] = round(rev * v, 2)
            if "revenue_factor" in shares:
                r["revenue"] = round(rev * shares["revenue_factor"], 2)
            if "profit" not in shares and "taxable_income" not in shares:
                r["profit"] = round(r["revenue"] - r["cost"] - r["expenses"], 2)
                r["taxable_income"] = r["profit"]

    return run


def _losses(years: tuple[int, ...]) -> Mutation:
    return lambda c: c.edit(
        "cit_returns",
        lambda r: r["tin"] == c.T and r["year"] in years,
        profit=-100_000.0,
        taxable_income=-100_000.0,
        tax_payable=0,
    )


def _land(drop_year: int, held_from: str | None = None) -> Mutation:
    def run(c: City) -> None:
        c.drop(
            "other_returns",
            lambda r: r["tin"] == c.T and r["tax_type"] == "land_use" and r["period_start"].startswith(str(drop_year)),
        )
        if held_from:
            c.edit("land_parcels", lambda r: r["holder_id"] == c.T, held_from=held_from)

    return run


def _deed(c: City, base: float, on: str = "2024-04-20") -> None:
    c.add(
        "other_returns",
        tin=c.T,
        tax_type="deed",
        period_start=on,
        period_end=on,
        filed_on=on,
        base=base,
        tax_payable=round(base * 0.03, 2),
    )


def _buy(deed_base: float | None, on: str = "2024-04-01") -> Mutation:
    def run(c: City) -> None:
        c.property_transfer(f"H{c.T}buy", c.B(0), c.T, on, 3_012_345.0, 100)
        if deed_base is not None:
            _deed(c, deed_base, on)

    return run


def _buy_no_property_tax(with_return: bool) -> Mutation:
    def run(c: City) -> None:
        _buy(3_012_345.0, "2023-05-01")(c)
        if with_return:
            c.add(
                "other_returns",
                tin=c.T,
                tax_type="property",
                period_start="2024-01-01",
                period_end="2024-12-31",
                filed_on="2024-06-01",
                base=3_012_345.0,
                tax_payable=25_000,
            )

    return run


def _sell_property(price_per_m2: float) -> Mutation:
    return lambda c: c.property_transfer(f"H{c.T}sell", c.T, f"{c.w}buyer", "2024-08-08", price_per_m2 * 120, 120)


def _late_filing(n: int) -> Mutation:
    def run(c: City) -> None:
        periods = months(2024, 1, n)
        c.edit(
            "vat_returns",
            lambda r: r["tin"] == c.T and r["period"] in periods,
            filed_on=lambda r: r["filed_on"][:8] + "25",
        )

    return run


def _unpaid(periods: list[str], stop_selling: bool = False) -> Mutation:
    def run(c: City) -> None:
        c.edit("payments", lambda r: r["tin"] == c.T and r["period"] in periods, amount_paid=0, paid_on=None)
        if stop_selling:
            late = tuple(months(2024, 7, 6))
            c.drop("invoices", lambda r: r["seller_tin"] == c.T and r["issued_on"][:7] in late)

    return run


def _late_payments(n: int) -> Mutation:
    def run(c: City) -> None:
        periods = months(2024, 1, n)
        c.edit(
            "payments", lambda r: r["tin"] == c.T and r["period"] in periods, paid_on=lambda r: r["due_on"][:8] + "25"
        )

    return run


def _never_filed(active: bool) -> Mutation:
    def run(c: City) -> None:
        c.drop("vat_returns", lambda r: r["tin"] == c.T)
        if not active:
            scale(c, "utilities", ["kwh"], 0.001)
            c.drop("social_insurance", lambda r: r["tin"] == c.T)
            c.drop("invoices", lambda r: r["buyer_tin"] == c.T)

    return run


def _no_cit(kind: str) -> Mutation:
    def run(c: City) -> None:
        c.drop("cit_returns", lambda r: r["tin"] == c.T and r["year"] == 2023)
        c.edit("taxpayers", lambda r: r["tin"] == c.T, kind=kind)

    return run


CASES: dict[str, tuple[Mutation, Mutation]] = {
    "IIT_INSURED_ABOVE_WITHHELD": (_headcount(4, 12), _headcount(5, 6)),
    "IIT_SI_BASE_ABOVE_PAYROLL": (
        lambda c: scale(c, "iit_withholding", ["payroll"], 0.5),
        lambda c: scale(c, "iit_withholding", ["payroll"], 0.9),
    ),
    "IIT_AVG_WAGE_LOW": (
        lambda c: scale(c, "iit_withholding", ["payroll"], 0.3),
        lambda c: scale(c, "iit_withholding", ["payroll"], 0.6),
    ),
    "IIT_EFFECTIVE_RATE_LOW": (
        lambda c: scale(c, "iit_withholding", ["tax_withheld"], 0.1),
        lambda c: scale(c, "iit_withholding", ["tax_withheld"], 0.5),
    ),
    "IIT_INSURED_NO_RETURN": (
        _drop_months("iit_withholding", months(2024, 1, 4)),
        _drop_months("iit_withholding", months(2024, 1, 2)),
    ),
    "CIT_COST_RATIO_HIGH": (_cit(cost=1.3), _cit(cost=0.78)),
    "CIT_GROSS_MARGIN_LOW": (_cit(cost=0.97, expenses=0.05), _cit(cost=0.9, expenses=0.05)),
    "CIT_EXPENSE_RATIO_HIGH": (_cit(expenses=0.5), _cit(expenses=0.3)),
    "CIT_PROFIT_RATE_LOW": (_cit(taxable_income=-0.1), _cit(taxable_income=0.01)),
    "CIT_RND_RATIO_HIGH": (_cit(rnd_deduction=0.14), _cit(rnd_deduction=0.02)),
    "CIT_RND_ABOVE_EXPENSES": (_cit(rnd_deduction=0.2), _cit(rnd_deduction=0.1)),
    "CIT_RND_PER_EMPLOYEE_HIGH": (
        lambda c: scale(c, "cit_returns", ["rnd_deduction"], 5.0),
        lambda c: scale(c, "cit_returns", ["rnd_deduction"], 2.0),
    ),
    "CIT_INVENTORY_HIGH": (_cit(inventory_end=0.5), _cit(inventory_end=0.2)),
    "CIT_COST_ABOVE_INVOICES": (_cit(cost=1.5), _cit(cost=0.9)),
    "CIT_VAT_REVENUE_MISMATCH": (_cit(revenue_factor=1.5), _cit(revenue_factor=1.1)),
    "CIT_LOSS_YEARS": (_losses((2023, 2024)), _losses((2024,))),
    "LAND_HELD_NO_LAND_USE_TAX": (_land(2024), _land(2023, held_from="2024-03-01")),
    "LAND_AREA_UNDER_DECLARED": (
        lambda c: c.edit("other_returns", lambda r: r["tin"] == c.T, base=lambda r: r["base"] * 0.5),
        lambda c: c.edit("other_returns", lambda r: r["tin"] == c.T, base=lambda r: r["base"] * 0.9),
    ),
    "PROP_PRICE_BELOW_AREA": (_sell_property(12_000.0), _sell_property(27_000.0)),
    "PROP_DEED_TAX_MISSING": (_buy(None), _buy(3_012_345.0)),
    "PROP_DEED_BASE_BELOW_PRICE": (_buy(1_500_000.0), _buy(3_012_345.0)),
    "PROP_BOUGHT_NO_PROPERTY_TAX": (_buy_no_property_tax(False), _buy_no_property_tax(True)),
    "FIL_NON_FILER_INVOICING": (
        _drop_months("vat_returns", months(2024, 3, 4)),
        _drop_months("vat_returns", months(2024, 3, 1)),
    ),
    "FIL_NON_FILER_THIRD_PARTY": (_never_filed(True), _never_filed(False)),
    "FIL_STOPPED_FILING": (
        _drop_months("vat_returns", months(2024, 7, 6)),
        _drop_months("vat_returns", months(2024, 11, 2)),
    ),
    "FIL_LATE_FILING": (_late_filing(5), _late_filing(3)),
    "FIL_CIT_NOT_FILED": (_no_cit("enterprise"), _no_cit("individual_business")),
    "PAY_ARREARS_OVERDUE": (_unpaid(months(2024, 1, 6)), _unpaid(months(2024, 12, 1))),
    "PAY_LATE_REPEATED": (_late_payments(7), _late_payments(3)),
    "PAY_ARREARS_WHILE_TRADING": (_unpaid(months(2024, 1, 6)), _unpaid(months(2024, 1, 6), stop_selling=True)),
    "PAY_UNDERPAID_PERIODS": (_unpaid(months(2024)), _unpaid(months(2024, 1, 2))),
}
