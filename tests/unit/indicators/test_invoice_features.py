"""The invoice sums of the feature layer against a plain Python computation over the same invoices.

A crafted city with the edge cases of the invoice flags (void, red, negative, near-quota, round, consumer,
special, a (seller, month) and a pair with only void invoices, a goods prefix only bought void, an invoice without
a status, a seller without a registration; abnormal, deregistered and new sellers). ``features_period``'s seller
and buyer sides, ``features_pairs`` and ``features_entity``'s goods mix are each computed here from the invoice
rows, the straightforward way, and must match the built tables row for row, in one part and in three.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from math import ceil, log10
from pathlib import Path
from typing import Any

import pytest
from indicator_city import City, Row
from indicator_warehouse import write_tables

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.features import build_features

OUT = ("out_n", "out_void_n", "out_red_n", "out_amount", "out_tax", "out_special_amount", "out_consumer_amount",
       "out_near_quota_n", "out_round_n", "out_positive_n")  # fmt: skip
IN = ("in_n", "in_amount", "in_special_tax", "in_bad_seller_amount", "in_new_seller_amount")
GOODS = ("goods_sold", "goods_sold_unbought", "goods_sold_n", "goods_bought_n")


def _city() -> City:
    city = City(0, n_base=5)
    t, b = city.T, city.B
    city.edit("taxpayers", lambda r: r["tin"] == b(3), status="abnormal")
    city.edit("taxpayers", lambda r: r["tin"] == b(4), deregistered_on="2024-03-15")
    new = dict(city.rows("taxpayers", lambda r: r["tin"] == b(0))[0])
    new.update(tin="AAN", registration_id="RAAN", registered_on="2024-05-01")
    city.add("taxpayers", **new)
    city.invoice(t, b(0), "2024-02-03", 5_000.0, status="void")
    city.invoice(t, b(1), "2024-02-04", -1_200.0)  # negative, valid: red, summed
    city.invoice(t, b(1), "2024-02-05", 700.0, status="red")
    city.invoice(t, b(2), "2024-02-06", 9_500.0)  # near a quota
    city.invoice(t, b(2), "2024-02-07", 3_000.0, kind="ordinary")  # round
    city.invoice(t, None, "2024-02-08", 10_000.0, status="void")  # consumer, void
    city.invoice(t, None, "2024-02-09", 95_000.0)  # consumer, near a quota
    city.invoice(t, b(0), "2024-02-10", 800.0, goods_code="8880000000000000000")  # only sold
    city.invoice(t, b(0), "2024-02-11", 400.0, goods_code="9990000000000000000")
    city.invoice(b(1), t, "2024-02-12", 600.0, status="void", goods_code="9990000000000000000")  # bought void
    city.invoice(b(3), t, "2024-02-13", 2_000.0)  # abnormal seller
    city.invoice(b(3), t, "2024-02-14", 777.0, status="void")  # abnormal seller, void: not summed
    city.invoice(b(4), t, "2024-03-14", 1_000.0)  # before deregistration
    city.invoice(b(4), t, "2024-03-15", 1_100.0)  # on it
    city.invoice("AAN", t, "2024-06-01", 1_300.0)  # new seller
    city.invoice("AAN", t, "2024-12-01", 1_400.0)  # no longer new (214 days)
    city.invoice("AAN", b(1), "2024-07-02", 900.0, status="void")  # a month and a pair of void only
    city.invoice("AAN", b(2), "2024-07-03", 100.0, status="void")
    city.invoice("AAN", b(2), "2024-09-03", 200.0, status="void")
    city.invoice("AAX", t, "2024-04-04", 5_500.0)  # a seller with no registration
    city.invoice(t, b(3), "2024-04-05", 2_500.0)
    city.edit("invoices", lambda r: r["issued_on"] == "2024-04-05", status=None)  # no status: counted, not summed
    return city


def _registrations(city: City) -> dict[str, Row]:
    return {r["tin"]: r for r in city.tables["taxpayers"]}


def _d(value: Any) -> date:
    return date.fromisoformat(str(value))


def expected(city: City) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[tuple[str, str], dict[str, Any]],
                                 dict[str, dict[str, Any]]]:  # fmt: skip
    """Per (TIN, period) the seller and buyer sums, per pair its row, per TIN its goods mix: from the rows."""
    regs = _registrations(city)
    period: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: dict.fromkeys(OUT + IN, 0))
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    sold: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    bought: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for inv in city.tables["invoices"]:
        status, amount = inv["status"], Decimal(str(inv["amount"]))
        tax, issued = Decimal(str(inv["tax_amount"])), _d(inv["issued_on"])
        valid = status is not None and status != "void"  # SQL: status <> 'void' (NULL is not)
        money = amount if valid else Decimal(0)
        special = valid and inv["kind"] == "special"
        seller, buyer, month = inv["seller_tin"], inv["buyer_tin"], inv["issued_on"][:7]
        out = period[(seller, month)]
        out["out_n"] += 1
        out["out_void_n"] += status == "void"
        out["out_red_n"] += status == "red" or amount < 0
        out["out_amount"] += money
        out["out_tax"] += tax if valid else 0
        out["out_special_amount"] += amount if special else 0
        out["out_consumer_amount"] += money if buyer is None else 0
        out["out_near_quota_n"] += valid and amount >= 1000 and amount >= Decimal("0.9") * 10 ** ceil(log10(amount))
        out["out_round_n"] += valid and amount >= 1000 and amount % 1000 == 0
        out["out_positive_n"] += valid and amount > 0
        sold[seller][inv["goods_code"][:3]] += money
        if buyer is None:
            continue
        bought[buyer][inv["goods_code"][:3]] += money
        reg = regs.get(seller)
        bad = reg is not None and (reg["status"] == "abnormal" or (
            reg["deregistered_on"] is not None and _d(reg["deregistered_on"]) <= issued))  # fmt: skip
        new = reg is not None and (issued - _d(reg["registered_on"])).days < 180
        into = period[(buyer, month)]
        into["in_n"] += 1
        into["in_amount"] += money
        into["in_special_tax"] += tax if special else 0
        into["in_bad_seller_amount"] += money if bad else 0
        into["in_new_seller_amount"] += money if new else 0
        pair = pairs.setdefault((seller, buyer), {"n": 0, "amount": Decimal(0), "special_tax": Decimal(0),
                                                  "first_issued_on": issued, "last_issued_on": issued})  # fmt: skip
        pair["n"] += 1
        pair["amount"] += money
        pair["special_tax"] += tax if special else 0
        pair["first_issued_on"] = min(pair["first_issued_on"], issued)
        pair["last_issued_on"] = max(pair["last_issued_on"], issued)
    goods = {}
    for tin in set(sold) | set(bought):
        mine, theirs = sold[tin], bought[tin]
        goods[tin] = {
            "goods_sold": sum(mine.values(), Decimal(0)),
            "goods_sold_unbought": sum((v for g, v in mine.items() if v > 0 and theirs.get(g, 0) <= 0), Decimal(0)),
            "goods_sold_n": sum(1 for v in mine.values() if v > 0),
            "goods_bought_n": sum(1 for v in theirs.values() if v > 0),
        }
    return dict(period), pairs, goods


def _same(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    for name, value in want.items():
        if isinstance(value, Decimal):
            assert got[name] == pytest.approx(float(value), rel=1e-12, abs=1e-9), (where, name, got[name], value)
        else:
            assert got[name] == value, (where, name, got[name], value)


def test_the_edge_cases_are_there() -> None:
    period, pairs, goods = expected(_city())
    assert period[("AAT", "2024-02")]["out_red_n"] == 2 and period[("AAT", "2024-02")]["out_near_quota_n"] == 2
    assert period[("AAN", "2024-07")]["out_n"] == 2 and period[("AAN", "2024-07")]["out_amount"] == 0
    assert pairs[("AAN", "AAB2")]["n"] == 2 and pairs[("AAN", "AAB2")]["amount"] == 0
    assert period[("AAT", "2024-03")]["in_bad_seller_amount"] >= Decimal("1100.00")  # with the abnormal B3's
    assert period[("AAT", "2024-06")]["in_new_seller_amount"] == Decimal("1300.00")
    assert period[("AAT", "2024-12")]["in_new_seller_amount"] == 0
    assert goods["AAT"]["goods_sold_unbought"] >= Decimal("1200.00")  # 888 and 999 (bought void only)
    assert period[("AAT", "2024-04")]["out_n"] > period[("AAT", "2024-03")]["out_n"]  # the status-less one


@pytest.mark.parametrize("buckets", [1, 3])
def test_invoice_features_match_a_plain_computation(tmp_path: Path, buckets: int) -> None:
    city = _city()
    period, pairs, goods = expected(city)
    backend = DuckDBBackend(write_tables([city], tmp_path), threads=1)
    try:
        build_features(backend, buckets=buckets)
        rows = backend.query(f"SELECT tin, period, {', '.join(OUT + IN)} FROM features_period").to_pylist()
        built = {(r["tin"], r["period"]): r for r in rows}
        assert len(built) == len(rows) and set(period) <= set(built)
        zero = dict.fromkeys(OUT + IN, 0)
        for key, row in built.items():
            _same(row, period.get(key, zero), f"features_period {key}")
        got = backend.query("SELECT * FROM features_pairs").to_pylist()
        assert sorted((r["seller_tin"], r["buyer_tin"]) for r in got) == sorted(pairs)
        for r in got:
            _same(r, pairs[(r["seller_tin"], r["buyer_tin"])], f"features_pairs {r['seller_tin']} {r['buyer_tin']}")
        entities = backend.query(f"SELECT entity_id, {', '.join(GOODS)} FROM features_entity").to_pylist()
        assert {e["entity_id"] for e in entities} == {r["tin"] for r in city.tables["taxpayers"]}
        none = dict.fromkeys(GOODS, 0)
        for e in entities:
            _same(e, goods.get(e["entity_id"], none), f"features_entity {e['entity_id']}")
    finally:
        backend.close()
