"""Small edits used by the indicator test cases (each bends the target firm ``c.T`` of one world)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from indicator_city import MONTHS, City, Row

Mutation = Callable[[City], None]


def months(year: int | None = None, first: int = 1, count: int = 12) -> list[str]:
    """Periods ``first``..``first+count-1`` of ``year`` (or of the whole window when year is None)."""
    if year is None:
        return MONTHS[first - 1 : first - 1 + count]
    return [f"{year}-{m:02d}" for m in range(first, min(first + count, 13))]


def target_rows(
    c: City, table: str, periods: Iterable[str] | None = None, tin_key: str = "tin"
) -> Callable[[Row], bool]:
    """Row filter: the target's rows of ``table``, optionally only in ``periods``."""
    wanted = set(periods) if periods is not None else None
    return lambda r: r.get(tin_key) == c.T and (wanted is None or r.get("period") in wanted)


def scale(c: City, table: str, fields: Iterable[str], factor: float, periods: Iterable[str] | None = None) -> None:
    """Multiply the target's ``fields`` of ``table`` by ``factor``."""
    where = target_rows(c, table, periods)
    for f in fields:
        c.edit(table, where, **{f: lambda r, f=f: round(float(r[f]) * factor, 2)})


def set_vat(
    c: City,
    periods: Iterable[str] | None,
    sales: float | None = None,
    output_factor: float | None = None,
    input_factor: float | None = None,
) -> None:
    """Rewrite the target's VAT returns (sales / output / input), keeping payable = output - input."""
    where = target_rows(c, "vat_returns", periods)
    for r in c.rows("vat_returns", where):
        if sales is not None:
            r["sales"] = round(r["sales"] * sales, 2)
            r["output_tax"] = round(r["sales"] * 0.13, 2)
        if output_factor is not None:
            r["output_tax"] = round(r["output_tax"] * output_factor, 2)
        if input_factor is not None:
            r["input_tax"] = round(r["input_tax"] * input_factor, 2)
        r["tax_payable"] = round(r["output_tax"] - r["input_tax"], 2)


def zero_vat(c: City, periods: Iterable[str]) -> None:
    """Zero declarations: no sales, no output tax, input still credited."""
    set_vat(c, periods, sales=0.0)


def no_change(c: City) -> None:
    """Leave the target exactly as an ordinary firm."""
