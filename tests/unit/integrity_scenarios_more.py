"""Scenarios of the process-response, inspection and filing rules (continued from integrity_scenarios)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from integrity_scenarios import D, H, _risk_task, scenario
from integrity_world import WED, World


@scenario("AFTER_DUE_DATE")
def _after_due(w: World, fire: bool) -> tuple[str, list[str]]:
    due = WED - H if fire else WED + H
    return "A1", [w.op("A1", "close", "X1", WED, tin="T001", due=due)]


@scenario("CLOSE_WITHOUT_ACCEPT")
def _close_no_accept(w: World, fire: bool) -> tuple[str, list[str]]:
    return "A1", [_risk_task(w, "A1", "F1", WED, 5 * D, accept=not fire, note="adjusted")]


@scenario("SAME_TAXPAYER_TASKS")
def _same_taxpayer(w: World, fire: bool) -> tuple[str, list[str]]:
    n = 3 if fire else 2
    return "A3", [_risk_task(w, "A3", f"S{i}", WED + 20 * i * D, 5 * D, tin="T920", note="adjusted") for i in range(n)]


@scenario("NO_ISSUE_THEN_FINDING")
def _then_finding(w: World, fire: bool) -> tuple[str, list[str]]:
    op = _risk_task(w, "A1", "F1", WED, 5 * D, tin="T921")
    w.audit.append(
        {
            "case_id": "AU921",
            "tin": "T921",
            "opened_on": dt.date(2025, 9, 1),
            "closed_on": dt.date(2025, 12, 1),
            "selection": "tip_off",
            "finding": "fraud" if fire else "no_issue",
            "tax_recovered": Decimal("5000.00"),
            "scheme": None,
        }
    )
    return "A1", [op, "AU921"]


@scenario("PENALTY_BOTTOM_RANGE")
def _bottom(w: World, fire: bool) -> tuple[str, list[str]]:
    w.officer("L9", level=5, role="leader", unit="U2")
    amounts = [100.0] * 5 if fire else [100.0, 100.0, 100.0, 3000.0, 3000.0]
    ops = [
        w.op("L9", "approve", f"PX{i}", WED + i * D, matter="PENALTY", tin="T001", amount=a, system="inspection")
        for i, a in enumerate(amounts)
    ]
    return "L9", ops[:3]


@scenario("REVIEW_UNFAIR")
def _review(w: World, fire: bool) -> tuple[str, list[str]]:
    op = w.op("R1", "reject" if fire else "approve", "C005", WED + 30 * D, matter="CASE_REVIEW", tin="T005")
    return "L2", [op]


@scenario("INSPECTION_NO_ISSUE_RATE")
def _inspection_rate(w: World, fire: bool) -> tuple[str, list[str]]:
    w.officer("I4", level=3, role="inspector", unit="U4")
    notes = ["no_issue"] * 6 if fire else ["no_issue"] * 4 + ["penalty"] * 2
    ops = [
        w.op("I4", "close", f"PI{i}", WED + i * D, matter="PENALTY", tin="T001", note=n, system="inspection")
        for i, n in enumerate(notes)
    ]
    return "I4", ops[:4]


@scenario("PENALTY_REDUCED_AFTER")
def _reduced(w: World, fire: bool) -> tuple[str, list[str]]:
    op = w.op(
        "I1",
        "modify",
        "P000",
        WED + 36 * H,
        matter="PENALTY",
        tin="T000",
        amount=200 if fire else 600,
        system="inspection",
    )
    return "I1", [op]


@scenario("INSPECTOR_SAME_TAXPAYER")
def _inspector_same(w: World, fire: bool) -> tuple[str, list[str]]:
    ops = []
    for i in range(3 if fire else 2):
        ops.append(w.op("I1", "accept", f"PS{i}", WED + 10 * i * D, matter="PENALTY", tin="T922", system="inspection"))
    return "I1", ops


@scenario("PENALTY_WITHDRAWN")
def _withdrawn(w: World, fire: bool) -> tuple[str, list[str]]:
    ops = [
        w.op("I2", "void", f"PW{i}", WED + i * D, matter="PENALTY", tin="T001", system="inspection")
        for i in range(3 if fire else 2)
    ]
    return "I2", ops


@scenario("DEREG_WITH_ARREARS")
def _dereg(w: World, fire: bool) -> tuple[str, list[str]]:
    w.payments.append(
        {
            "tin": "T001",
            "tax_type": "cit",
            "period": "2025-01",
            "due_on": dt.date(2025, 2, 15),
            "amount_due": Decimal("5000.00"),
            "amount_paid": Decimal("0.00"),
            "paid_on": None,
        }
    )
    return "L1", [w.op("L1", "approve", "DR1", WED, matter="DEREGISTRATION", tin="T001" if fire else "T002")]


@scenario("REFUND_AFTER_DEREG")
def _refund_dereg(w: World, fire: bool) -> tuple[str, list[str]]:
    w.taxpayer("T930", status="deregistered", deregistered_on=dt.date(2025, 3, 1) if fire else dt.date(2025, 3, 10))
    return "L1", [w.op("L1", "approve", "RF1", WED, matter="VAT_REFUND", tin="T930")]


@scenario("INVOICE_QUOTA_NEW_FIRM")
def _quota(w: World, fire: bool) -> tuple[str, list[str]]:
    w.taxpayer("T932", registered_on=dt.date(2025, 2, 20) if fire else dt.date(2025, 1, 1))
    ops = [w.op("L1", "approve", f"Q{i}", WED + i * D, matter="INVOICE_QUOTA", tin="T932") for i in range(2)]
    return "L1", ops


@scenario("ABNORMAL_LIFT_REPEAT")
def _lift(w: World, fire: bool) -> tuple[str, list[str]]:
    a = w.op("L1", "approve", "AL1", WED, matter="ABNORMAL_LIFT", tin="T003")
    b = w.op("L1" if fire else "L2", "approve", "AL2", WED + 20 * D, matter="ABNORMAL_LIFT", tin="T003")
    return "L1", [a, b]


@scenario("FILING_MODIFY_REPEAT")
def _modify_repeat(w: World, fire: bool) -> tuple[str, list[str]]:
    return "A4", [
        w.op("A4", "modify", None, WED + i * D, matter="REGISTRATION_CHANGE", tin="T004")
        for i in range(5 if fire else 4)
    ]


@scenario("VOID_RATE_HIGH")
def _void_rate(w: World, fire: bool) -> tuple[str, list[str]]:
    return "A5", [w.op("A5", "void", None, WED + i * H, matter="REGISTRATION_CHANGE") for i in range(5 if fire else 4)]


@scenario("CHANGE_AFTER_QUERY_BURST")
def _query_burst(w: World, fire: bool) -> tuple[str, list[str]]:
    start = WED + (3 if fire else -10) * D
    ops = [w.op("A6", "query", None, start + i * H, tin="T005") for i in range(3)]
    ops.append(w.op("A6", "approve", "RC1", WED + 5 * D, matter="REGISTRATION_CHANGE", tin="T005"))
    return "A6", ops
