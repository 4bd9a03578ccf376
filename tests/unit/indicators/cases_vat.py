"""VAT indicator cases: (fires, quiet) edits of the target firm."""

from __future__ import annotations

from case_helpers import Mutation, months, scale, set_vat, zero_vat
from indicator_city import City


def _burden(factor: float) -> Mutation:
    def run(c: City) -> None:
        for r in c.rows("vat_returns", lambda r: r["tin"] == c.T):
            r["tax_payable"] = round(r["tax_payable"] * factor, 2)
            r["input_tax"] = round(r["output_tax"] - r["tax_payable"], 2)

    return run


def _small_scale(extra: bool) -> Mutation:
    def run(c: City) -> None:
        c.edit("taxpayers", lambda r: r["tin"] == c.T, vat_status="small_scale")
        if extra:
            for m in months(2024):
                c.invoice(c.T, None, f"{m}-20", 312_345.67, kind="ordinary")

    return run


def _input_eq_output(factor: float, periods: list[str] | None) -> Mutation:
    def run(c: City) -> None:
        for r in c.rows("vat_returns", lambda r: r["tin"] == c.T and (periods is None or r["period"] in periods)):
            r["input_tax"] = round(r["output_tax"] * factor, 2)
            r["tax_payable"] = round(r["output_tax"] - r["input_tax"], 2)

    return run


def _exempt(share: float) -> Mutation:
    def run(c: City) -> None:
        c.edit("vat_returns", lambda r: r["tin"] == c.T, exempt_sales=lambda r: round(r["sales"] * share, 2))

    return run


def _staff(factor: float) -> Mutation:
    def run(c: City) -> None:
        scale(c, "iit_withholding", ["employees"], factor)
        scale(c, "social_insurance", ["insured_employees"], factor)

    return run


CASES: dict[str, tuple[Mutation, Mutation]] = {
    "VAT_BURDEN_LOW": (_burden(0.2), _burden(0.8)),
    "VAT_SALES_BELOW_INVOICED": (
        lambda c: set_vat(c, months(2024, 1, 6), sales=0.6),
        lambda c: set_vat(c, None, sales=0.95),
    ),
    "VAT_OUTPUT_BELOW_INVOICED_TAX": (
        lambda c: set_vat(c, None, output_factor=0.6),
        lambda c: set_vat(c, None, output_factor=0.9),
    ),
    "VAT_INPUT_OUTPUT_GROWTH_GAP": (
        lambda c: set_vat(c, months(2024), input_factor=2.0),
        lambda c: set_vat(c, months(2024), input_factor=1.2),
    ),
    "VAT_INPUT_ABOVE_RECEIVED": (
        lambda c: set_vat(c, None, input_factor=1.5),
        lambda c: set_vat(c, None, input_factor=1.1),
    ),
    "VAT_ZERO_DECL_INVOICING": (
        lambda c: zero_vat(c, months(2024, 1, 5)),
        lambda c: zero_vat(c, months(2024, 1, 2)),
    ),
    "VAT_ZERO_DECL_PURCHASING": (
        lambda c: zero_vat(c, months(2024, 1, 5)),
        lambda c: zero_vat(c, months(2024, 1, 3)),
    ),
    "VAT_ZERO_DECL_PAYROLL": (
        lambda c: zero_vat(c, months(2024, 1, 8)),
        lambda c: zero_vat(c, months(2024, 1, 4)),
    ),
    "VAT_LONG_CREDIT_RETAINED": (
        _input_eq_output(1.05, months(2024, 1, 10)),
        _input_eq_output(1.05, months(2024, 1, 6)),
    ),
    "VAT_INPUT_EXCEEDS_OUTPUT": (_input_eq_output(1.3, None), _input_eq_output(0.95, None)),
    "VAT_SALES_DROP_INVOICES_STEADY": (
        lambda c: set_vat(c, months(2024), sales=0.5),
        lambda c: set_vat(c, months(2024), sales=0.8),
    ),
    "VAT_EXEMPT_SHARE_HIGH": (_exempt(1.0), _exempt(0.2)),
    "VAT_SMALL_SCALE_OVER_LIMIT": (_small_scale(True), _small_scale(False)),
    "VAT_SALES_PER_EMPLOYEE_LOW": (_staff(8.0), _staff(1.5)),
}
