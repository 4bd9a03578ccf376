"""Tiny crafted cities for indicator tests: eight ordinary firms plus the target ``<world>T``.

Every firm is built "normal" (returns consistent with invoices, wages withheld, power used, land
declared, taxes paid on time) and sells to the next two firms of a ring, so industry baselines exist.
A test case then bends the target's rows to make one indicator fire (or nearly fire). Many cities
("worlds") share one warehouse: each has its own TIN prefix, industry-code prefix and region, so
industry and regional baselines never mix, and the library is run once for all test cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taxloop.contract.schema import load_contract

YEARS = (2023, 2024)
MONTHS = [f"{y}-{m:02d}" for y in YEARS for m in range(1, 13)]
GOODS = "1090511010000000000"

Row = dict[str, Any]


def next_month_day(period: str, day: int) -> str:
    """ISO date of ``day`` in the month after ``period``."""
    y, m = int(period[:4]), int(period[5:])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return f"{y}-{m:02d}-{day:02d}"


class City:
    """Contract tables as lists of row dicts, editable before they are written."""

    def __init__(self, world: int = 0, n_base: int = 8) -> None:
        self.w = f"{chr(65 + world // 26)}{chr(65 + world % 26)}"
        self.T = f"{self.w}T"
        self.region = f"44{world:04d}"
        self.tables: dict[str, list[Row]] = {name: [] for name in load_contract().tables}
        self.firms = [self.B(i) for i in range(n_base)] + [self.T]
        self._sales: dict[tuple[str, str], float] = {}
        self._input: dict[tuple[str, str], float] = {}
        for i, tin in enumerate(self.firms):
            self._registration(i, tin)
        for i, tin in enumerate(self.firms):
            self._trade(i, tin)
        for i, tin in enumerate(self.firms):
            self._returns(i, tin)

    def B(self, i: int) -> str:
        """TIN of base firm ``i`` of this world."""
        return f"{self.w}B{i}"

    def industry(self, i: int) -> str:
        """Industry code of firm ``i`` (prefix of 3 characters unique to the world)."""
        return f"C{self.w}{11 + i % 3}"

    # -- generation of normal firms -------------------------------------------------------------
    @staticmethod
    def monthly_sales(i: int, period: str) -> float:
        """Invoiced sales of firm ``i`` in ``period`` (varied, never round, never near a quota)."""
        m = int(period[5:])
        return round((100_000 + 1_319 * i + 13.37) * (1 + 0.03 * ((m * 7 + i) % 5)), 2)

    def _registration(self, i: int, tin: str) -> None:
        self.add(
            "taxpayers",
            registration_id=f"R{tin}",
            tin=tin,
            name=f"公司{tin}",
            kind="enterprise",
            legal_rep_id=f"LR{tin}",
            legal_rep_name=f"法人{tin}",
            finance_officer_id=f"FO{tin}",
            address=f"深圳市{tin}路{i + 1}号",
            phone=f"0755{tin}",
            industry_code=self.industry(i),
            region_code=self.region,
            vat_status="general",
            registered_capital=1_000_000 + 10_000 * i,
            registered_on=f"2015-{1 + i % 12:02d}-01",
            deregistered_on=None,
            status="normal",
        )
        self.add(
            "market_registrations",
            credit_code=tin,
            name=f"公司{tin}",
            legal_rep_id=f"LR{tin}",
            registered_capital=1_000_000,
            established_on=f"2015-{1 + i % 12:02d}-01",
            status="active",
            provider="SAMR",
            delivered_on="2025-01-05",
        )
        self.add(
            "land_parcels",
            parcel_id=f"P{tin}",
            holder_id=tin,
            area_m2=2_000 + 100 * i,
            grade=3,
            held_from="2015-06-01",
            held_to=None,
            provider="NRD",
            delivered_on="2025-01-05",
        )

    def _trade(self, i: int, tin: str) -> None:
        n = len(self.firms)
        for period in MONTHS:
            s = self.monthly_sales(i, period)
            a1, a2 = round(s * 0.3517, 2), round(s * 0.3517, 2)
            for buyer, amount, kind in (
                (self.firms[(i + 1) % n], a1, "special"),
                (self.firms[(i + 2) % n], a2, "special"),
                (None, round(s - a1 - a2, 2), "ordinary"),
            ):
                self.invoice(tin, buyer, f"{period}-{5 + len(self.tables['invoices']) % 20:02d}", amount, kind=kind)

    def invoice(
        self,
        seller: str,
        buyer: str | None,
        issued_on: str,
        amount: float,
        kind: str = "special",
        status: str = "valid",
        goods_code: str = GOODS,
        rate: float = 0.13,
    ) -> None:
        """Add one invoice."""
        if status != "void":
            self._sales[(seller, issued_on[:7])] = self._sales.get((seller, issued_on[:7]), 0.0) + amount
            if buyer is not None and kind == "special":
                key = (buyer, issued_on[:7])
                self._input[key] = self._input.get(key, 0.0) + round(amount * rate, 2)
        self.add(
            "invoices",
            invoice_id=f"{self.w}I{len(self.tables['invoices']):06d}",
            seller_tin=seller,
            buyer_tin=buyer,
            issued_on=issued_on,
            amount=amount,
            tax_amount=round(amount * rate, 2),
            tax_rate=rate,
            goods_code=goods_code,
            kind=kind,
            status=status,
        )

    def _returns(self, i: int, tin: str) -> None:
        for period in MONTHS:
            sales = self._sales.get((tin, period), 0.0)
            input_tax = self._input.get((tin, period), 0.0)
            out = round(sales * 0.13, 2)
            payable = round(out - input_tax, 2)
            self.add(
                "vat_returns",
                tin=tin,
                period=period,
                filed_on=next_month_day(period, 10),
                sales=round(sales, 2),
                exempt_sales=0,
                output_tax=out,
                input_tax=round(input_tax, 2),
                tax_payable=payable,
            )
            employees = 4 + i % 3
            payroll = employees * (6_000 + 100 * i)
            self.add(
                "iit_withholding",
                tin=tin,
                period=period,
                employees=employees,
                payroll=payroll,
                tax_withheld=round(payroll * 0.02, 2),
            )
            self.add(
                "social_insurance",
                tin=tin,
                period=period,
                insured_employees=employees,
                contribution_base=payroll,
                provider="HRSS",
                delivered_on=next_month_day(period, 20),
            )
            self.add(
                "utilities",
                tin=tin,
                period=period,
                kwh=round(sales * 0.25, 2),
                water_m3=100 + i,
                provider="POWER",
                delivered_on=next_month_day(period, 20),
            )
            self.add(
                "payments",
                tin=tin,
                tax_type="vat",
                period=period,
                due_on=next_month_day(period, 15),
                amount_due=max(payable, 0),
                amount_paid=max(payable, 0),
                paid_on=next_month_day(period, 12),
            )
        for year in YEARS:
            rev = round(sum(self.monthly_sales(i, p) for p in MONTHS if p.startswith(str(year))), 2)
            cost, exp = round(rev * (0.70 + 0.01 * (i % 4)), 2), round(rev * 0.15, 2)
            profit = round(rev - cost - exp, 2)
            self.add(
                "cit_returns",
                tin=tin,
                year=year,
                filed_on=f"{year + 1}-05-20",
                revenue=rev,
                cost=cost,
                expenses=exp,
                profit=profit,
                taxable_income=profit,
                tax_payable=round(max(profit, 0) * 0.25, 2),
                rnd_deduction=round(rev * 0.01 * (1 + 0.1 * (i % 4)), 2),
                inventory_end=round(rev * 0.1, 2),
            )
            area = 2_000 + 100 * i
            self.add(
                "other_returns",
                tin=tin,
                tax_type="land_use",
                period_start=f"{year}-01-01",
                period_end=f"{year}-12-31",
                filed_on=f"{year}-06-01",
                base=area,
                tax_payable=area * 6,
            )
        if i < 6:
            price = round((30_000 + 500 * i) * 100, 2)
            self.property_transfer(f"H{tin}", tin, f"{self.w}person{i}", "2024-03-10", price, 100)

    def property_transfer(
        self, property_id: str, seller: str, buyer: str, contract_on: str, price: float, area: float
    ) -> None:
        """Add a registered property transfer (and the buyer's deed-tax return)."""
        self.add(
            "property_transfers",
            property_id=property_id,
            seller_id=seller,
            buyer_id=buyer,
            contract_on=contract_on,
            price=price,
            area_m2=area,
            region_code=self.region,
            provider="REG",
            delivered_on="2024-12-31",
        )

    # -- editing ---------------------------------------------------------------------------------
    def add(self, table: str, **row: Any) -> None:
        """Append one row to ``table``."""
        self.tables[table].append(row)

    def rows(self, table: str, where: Callable[[Row], bool] | None = None) -> list[Row]:
        """Rows of ``table`` matching ``where``."""
        return [r for r in self.tables[table] if where is None or where(r)]

    def invoices_of(self, tin: str, period: str | None = None, side: str = "seller") -> list[Row]:
        """Non-void invoices where ``tin`` is the seller (or buyer), optionally in one period."""
        key = "seller_tin" if side == "seller" else "buyer_tin"
        return [
            r
            for r in self.tables["invoices"]
            if r[key] == tin and r["status"] != "void" and (period is None or r["issued_on"].startswith(period))
        ]

    def edit(self, table: str, where: Callable[[Row], bool], **changes: Any) -> int:
        """Change matching rows; a callable value receives the row. Returns rows changed."""
        hit = self.rows(table, where)
        for r in hit:
            for k, v in changes.items():
                r[k] = v(r) if callable(v) else v
        return len(hit)

    def drop(self, table: str, where: Callable[[Row], bool]) -> None:
        """Remove matching rows."""
        self.tables[table] = [r for r in self.tables[table] if not where(r)]
