"""One scenario per integrity rule: ``fire=True`` plants a violation, ``fire=False`` a near miss.

Each function adds operations to a clean baseline world and returns (officer expected, evidence op_ids expected).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from integrity_world import WED, World

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
Scenario = Callable[[World, bool], tuple[str, list[str]]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(code: str) -> Callable[[Scenario], Scenario]:
    """Register a scenario for ``code``."""

    def deco(fn: Scenario) -> Scenario:
        SCENARIOS[code] = fn
        return fn

    return deco


@scenario("SELF_APPROVAL")
def _self_approval(w: World, fire: bool) -> tuple[str, list[str]]:
    a = w.op("A1", "submit", "X1", WED, tin="T001", amount=100)
    b = w.op("A1" if fire else "L1", "approve", "X1", WED + H, tin="T001", amount=100)
    if not fire:
        w.op("A2", "submit", "X2", WED, tin="T002")
        w.op("A1", "accept", "X2", WED + H, tin="T002")
    return "A1", [a, b]


@scenario("FOUR_EYES")
def _four_eyes(w: World, fire: bool) -> tuple[str, list[str]]:
    w.op("A2", "submit", "X1", WED, tin="T001")
    a = w.op("A1", "accept", "X1", WED + H, tin="T001")
    b = w.op("A1" if fire else "L1", "approve", "X1", WED + 2 * H, tin="T001")
    return "A1", [a, b]


@scenario("BEYOND_AUTHORITY")
def _beyond(w: World, fire: bool) -> tuple[str, list[str]]:
    return "A1", [w.op("A1", "approve", "X1", WED, tin="T001", level=4 if fire else 2)]


@scenario("OFF_HOURS_APPROVAL")
def _off_hours(w: World, fire: bool) -> tuple[str, list[str]]:
    if fire:
        a = w.op("L1", "approve", "X1", WED.replace(hour=22, minute=30), tin="T001")
        b = w.op("L1", "approve", "X2", dt.datetime(2025, 3, 8), tin="T002")  # a Saturday, date only
        return "L1", [a, b]
    w.op("L1", "approve", "X1", dt.datetime(2025, 3, 5), tin="T001")  # date only, weekday: not night
    w.op("L1", "approve", "X2", WED.replace(hour=19, minute=59), tin="T002")
    w.op("L1", "approve", "X3", WED.replace(hour=23), matter="TAXPAYER_QUERY", tin="T002")  # not a power matter
    return "L1", []


@scenario("TAXPAYER_CONCENTRATION")
def _concentration(w: World, fire: bool) -> tuple[str, list[str]]:
    ops = []
    for i in range(8):
        w.op("A3", "submit", f"X{i}", WED + i * D, tin="T900")
        who = "L1" if fire or i % 2 else "L2"  # near miss: 4 cases each
        ops.append(w.op(who, "approve", f"X{i}", WED + i * D + 2 * H, tin="T900"))
    return "L1", ops if fire else []


@scenario("REPEATED_RELIEF")
def _relief(w: World, fire: bool) -> tuple[str, list[str]]:
    ops = [w.op("L1", "approve", f"X{i}", WED + i * D, tin="T902") for i in range(2)]
    last = WED + 5 * D if fire else dt.datetime(2026, 3, 4, 10)
    ops.append(w.op("L1", "approve", "X9", last, tin="T902"))
    return "L1", ops


@scenario("THRESHOLD_STRUCTURING")
def _structuring(w: World, fire: bool) -> tuple[str, list[str]]:
    amounts = [49000, 46000, 49900, 12345] if fire else [49000, 46000, 51000, 12345]
    ops = [w.op("L1", "approve", f"X{i}", WED + i * D, tin="T001", amount=a) for i, a in enumerate(amounts)]
    return "L1", ops[:3]


@scenario("OFF_HOURS_ACTIVITY")
def _off_hours_activity(w: World, fire: bool) -> tuple[str, list[str]]:
    w.op("A2", "query", None, WED.replace(hour=23), tin="T001")  # peers: one night query
    n = 6 if fire else 4
    return "A1", [w.op("A1", "query", None, WED.replace(hour=23) + i * D, tin="T001") for i in range(n)]


@scenario("VOID_REISSUE")
def _void_reissue(w: World, fire: bool) -> tuple[str, list[str]]:
    ops = [w.op("A1", "void", "V1", WED, tin="T903"), w.op("A1", "submit", "V2", WED + 3 * D, tin="T903")]
    gap = 5 if fire else 40
    ops += [
        w.op("A1", "void", "V3", WED + 10 * D, tin="T903"),
        w.op("A1", "submit", "V4", WED + (10 + gap) * D, tin="T903"),
    ]
    return "A1", ops


def _conflict(w: World, fire: bool, field: str, officer_value: str, tp_value: str, miss: str) -> tuple[str, list[str]]:
    w.officer("A8", **{field: officer_value})
    w.taxpayer("T904", **{("legal_rep_id" if field == "id_number" else field): tp_value if fire else miss})
    return "A8", [w.op("A8", "submit", "X1", WED, tin="T904")]


@scenario("CONFLICT_ID")
def _conflict_id(w: World, fire: bool) -> tuple[str, list[str]]:
    return _conflict(w, fire, "id_number", "440301199001011234", "440301199001011234", "440301199001011235")


@scenario("CONFLICT_PHONE")
def _conflict_phone(w: World, fire: bool) -> tuple[str, list[str]]:
    return _conflict(w, fire, "phone", "+86 138-0000-1234", "13800001234", "13800001235")


@scenario("CONFLICT_ADDRESS")
def _conflict_address(w: World, fire: bool) -> tuple[str, list[str]]:
    return _conflict(w, fire, "address", "深圳市 福田区（X）路1号", "深圳市福田区X路1号", "深圳市福田区X路2号")


@scenario("QUERY_OUTSIDE_CASELOAD")
def _outside_queries(w: World, fire: bool) -> tuple[str, list[str]]:
    w.op("A2", "query", None, WED, tin="T950")
    w.op("A3", "query", None, WED, tin="T951")
    ops = [w.op("A1", "query", None, WED + i * H, tin=f"T91{i}") for i in range(6 if fire else 4)]
    return "A1", ops


@scenario("BULK_EXPORT")
def _exports(w: World, fire: bool) -> tuple[str, list[str]]:
    for who in ("A2", "A3", "A4"):
        w.op(who, "export", None, WED)
        w.op(who, "export", None, WED + H)
    return "A1", [w.op("A1", "export", None, WED + i * H) for i in range(12 if fire else 9)]


@scenario("RUBBER_STAMP")
def _rubber(w: World, fire: bool) -> tuple[str, list[str]]:
    ops = []
    for i in range(2):
        t = WED + i * D
        w.op("A2", "submit", f"X{i}", t, tin="T001", amount=200000)
        gap = dt.timedelta(minutes=2 if fire else 10)
        ops.append(w.op("L1", "approve", f"X{i}", t + gap, tin="T001", amount=200000, level=4))
    return "L1", ops


@scenario("INACTIVE_OFFICER_OP")
def _inactive(w: World, fire: bool) -> tuple[str, list[str]]:
    w.officer("A9", active_to=dt.date(2025, 1, 31))
    return "A9", [w.op("A9", "submit", "X1", WED if fire else dt.datetime(2025, 1, 20, 10), tin="T001")]


@scenario("UNKNOWN_OFFICER")
def _unknown(w: World, fire: bool) -> tuple[str, list[str]]:
    return "GHOST", [w.op("GHOST" if fire else "A1", "approve", "X1", WED, tin="T001")]


@scenario("ROLE_NOT_ALLOWED_APPROVE")
def _role(w: World, fire: bool) -> tuple[str, list[str]]:
    w.officer("N1", role="analyst")
    op = w.op("N1", "approve" if fire else "query", "X1", WED, tin="T001")
    w.op("R1", "approve", "X2", WED, tin="T002")
    return "N1", [op]


@scenario("REJECT_THEN_APPROVE")
def _reject_approve(w: World, fire: bool) -> tuple[str, list[str]]:
    w.op("A1", "submit", "X1", WED, tin="T001")
    r = w.op("L1", "reject", "X1", WED + H, tin="T001")
    if not fire:
        w.op("A1", "submit", "X1", WED + 2 * D, tin="T001")
    a = w.op("L1", "approve", "X1", WED + 3 * D, tin="T001")
    return "L1", [r, a]


@scenario("APPROVE_WITHOUT_SUBMIT")
def _approve_no_submit(w: World, fire: bool) -> tuple[str, list[str]]:
    if not fire:
        w.op("A1", "accept", "Z1", WED, tin="T001")
    return "L1", [w.op("L1", "approve", "Z1", WED + H, tin="T001")]


def _risk_task(
    w: World,
    who: str,
    case: str,
    t0: dt.datetime,
    close_after: dt.timedelta,
    note: str = "no_issue",
    tin: str = "T001",
    query: bool = True,
    accept: bool = True,
    level: int = 3,
) -> str:
    if accept:
        w.op(who, "accept", case, t0, matter="RISK_RESPONSE", tin=tin, level=level)
    if query:
        w.op(who, "query", case, t0 + close_after / 2, matter="RISK_RESPONSE", tin=tin)
    return w.op(who, "close", case, t0 + close_after, matter="RISK_RESPONSE", tin=tin, level=level, note=note)


@scenario("FAST_NO_ISSUE_CLOSURE")
def _fast(w: World, fire: bool) -> tuple[str, list[str]]:
    return "A1", [_risk_task(w, "A1", "F1", WED, H if fire else 3 * D)]


@scenario("NO_EVIDENCE_CLOSURE")
def _no_evidence(w: World, fire: bool) -> tuple[str, list[str]]:
    return "A1", [_risk_task(w, "A1", "F1", WED, 5 * D, query=not fire)]


@scenario("NO_ISSUE_RATE_HIGH")
def _no_issue_rate(w: World, fire: bool) -> tuple[str, list[str]]:
    w.officer("A7")
    notes = ["no_issue"] * 6 if fire else ["no_issue"] * 4 + ["adjusted"] * 2
    ops = [_risk_task(w, "A7", f"F{i}", WED + i * D, 5 * D, note=n) for i, n in enumerate(notes)]
    return "A7", ops


@scenario("EDIT_AFTER_CLOSE")
def _edit_after(w: World, fire: bool) -> tuple[str, list[str]]:
    w.op("A1", "accept", "E1", WED, tin="T001")
    w.op("A1", "close", "E1", WED + D, tin="T001")
    if not fire:  # the normal path: reopen, modify, close again
        w.op("A2", "reopen", "E1", WED + 2 * D, tin="T001")
        w.op("A1", "close", "E1", WED + 4 * D, tin="T001")
    return "A2", [w.op("A2", "modify", "E1", WED + 3 * D, tin="T001")]


@scenario("REOPEN_AFTER_CLOSE")
def _reopen(w: World, fire: bool) -> tuple[str, list[str]]:
    ops = []
    for i in range(3 if fire else 2):
        w.op("A1", "accept", f"E{i}", WED, tin="T001")
        w.op("A1", "close", f"E{i}", WED + D, tin="T001")
        ops.append(w.op("A2", "reopen", f"E{i}", WED + 2 * D, tin="T001"))
    return "A2", ops


@scenario("OVERDUE_TASK")
def _overdue(w: World, fire: bool) -> tuple[str, list[str]]:
    return "A1", [_risk_task(w, "A1", "O1", WED, (70 if fire else 50) * D, note="adjusted")]
