"""Invoice indicator cases: (fires, quiet) edits of the target firm."""

from __future__ import annotations

from case_helpers import Mutation, months, scale
from indicator_city import MONTHS, City


def _extra(n: int, amount: float, status: str = "valid", buyer: int | None = 0) -> Mutation:
    def run(c: City) -> None:
        for k in range(n):
            c.invoice(
                c.T, None if buyer is None else c.B(buyer), f"{MONTHS[k % 24]}-{1 + k % 27:02d}", amount, status=status
            )

    return run


def _new_firm(spike: float) -> Mutation:
    def run(c: City) -> None:
        c.edit("taxpayers", lambda r: r["tin"] == c.T, registered_on="2024-01-01")
        if spike:
            c.invoice(c.T, c.B(0), "2024-06-18", spike)

    return run


def _rep_change(after: float) -> Mutation:
    def run(c: City) -> None:
        c.add(
            "taxpayer_changes",
            tin=c.T,
            field="legal_rep_id",
            old_value=f"LR{c.T}",
            new_value="LR-new",
            changed_on="2024-05-03",
        )
        for m in months(2024, 5, 4):
            if after:
                c.invoice(c.T, c.B(1), f"{m}-21", after)

    return run


def _goods(kinds: set[str]) -> Mutation:
    def run(c: City) -> None:
        c.edit("iit_withholding", lambda r: r["tin"] == c.T, employees=2)
        c.edit("social_insurance", lambda r: r["tin"] == c.T, insured_employees=2)
        c.edit("invoices", lambda r: r["seller_tin"] == c.T and r["kind"] in kinds, goods_code="3040201000000000000")

    return run


def _no_purchases(kwh_factor: float) -> Mutation:
    def run(c: City) -> None:
        c.drop("invoices", lambda r: r["buyer_tin"] == c.T)
        scale(c, "utilities", ["kwh"], kwh_factor)

    return run


def _new_seller(registered_on: str) -> Mutation:
    def run(c: City) -> None:
        c.add(
            "taxpayers",
            registration_id=f"R{c.w}N",
            tin=f"{c.w}N",
            name="新公司",
            kind="enterprise",
            industry_code=c.industry(0),
            region_code=c.region,
            registered_on=registered_on,
            status="normal",
        )
        for m in months(2024, 3, 4):
            c.invoice(f"{c.w}N", c.T, f"{m}-11", 812_345.67)

    return run


def _shell_seller(staff: int) -> Mutation:
    def run(c: City) -> None:
        shell = f"{c.w}S"
        c.add(
            "taxpayers",
            registration_id=f"R{shell}",
            tin=shell,
            name="空壳",
            kind="enterprise",
            industry_code=c.industry(0),
            region_code=c.region,
            registered_on="2022-01-01",
            status="normal",
        )
        for m in months(2024, 3, 4):
            c.invoice(shell, c.T, f"{m}-12", 312_345.67)
            if staff:
                c.add("iit_withholding", tin=shell, period=m, employees=staff, payroll=staff * 6000, tax_withheld=100)

    return run


def _input_spike(amount: float) -> Mutation:
    return lambda c: c.invoice(c.B(7), c.T, "2024-07-09", amount)


def _output_spike(amount: float) -> Mutation:
    return lambda c: c.invoice(c.T, c.B(0), "2024-07-09", amount)


def _pass_through(staff: int) -> Mutation:
    def run(c: City) -> None:
        c.drop("invoices", lambda r: r["seller_tin"] == c.T and r["buyer_tin"] is None)
        c.edit("iit_withholding", lambda r: r["tin"] == c.T, employees=staff)
        c.edit("social_insurance", lambda r: r["tin"] == c.T, insured_employees=staff)

    return run


def _vanished(sales_factor: float) -> Mutation:
    def run(c: City) -> None:
        c.edit("taxpayers", lambda r: r["tin"] == c.T, status="abnormal")
        c.edit("invoices", lambda r: r["seller_tin"] == c.T, amount=lambda r: round(r["amount"] * sales_factor, 2))

    return run


def _bad_seller(which: int) -> Mutation:
    return lambda c: c.edit("taxpayers", lambda r: r["tin"] == c.B(which), status="abnormal")


CASES: dict[str, tuple[Mutation, Mutation]] = {
    "INV_VOID_SHARE_HIGH": (_extra(30, 5_000.37, "void"), _extra(3, 5_000.37, "void")),
    "INV_RED_SHARE_HIGH": (_extra(30, -1_234.56, "red"), _extra(3, -1_234.56, "red")),
    "INV_NEAR_QUOTA": (_extra(40, 99_500.0), _extra(12, 99_500.0)),
    "INV_ROUND_AMOUNTS": (_extra(100, 20_000.0), _extra(20, 20_000.0)),
    "INV_NEW_FIRM_SPIKE": (_new_firm(1_500_000.0), _new_firm(0.0)),
    "INV_SPIKE_AFTER_REP_CHANGE": (_rep_change(400_000.0), _rep_change(0.0)),
    "INV_UNRELATED_GOODS": (_goods({"special", "ordinary"}), _goods({"ordinary"})),
    "INV_FROM_SHELL_SELLERS": (_shell_seller(0), _shell_seller(10)),
    "INV_SALES_WITHOUT_PURCHASES": (_no_purchases(0.001), _no_purchases(1.0)),
    "INV_FROM_BAD_SELLERS": (_bad_seller(7), _bad_seller(0)),
    "INV_FROM_NEW_SELLERS": (_new_seller("2024-03-01"), _new_seller("2020-03-01")),
    "INV_INPUT_SPIKE": (_input_spike(800_000.0), _input_spike(200_000.0)),
    "INV_OUTPUT_SPIKE": (_output_spike(1_500_000.0), _output_spike(200_000.0)),
    "INV_PASS_THROUGH_BALANCE": (_pass_through(1), _pass_through(28)),
    "INV_VANISHED_AFTER_INVOICING": (_vanished(1.0), _vanished(0.2)),
}
