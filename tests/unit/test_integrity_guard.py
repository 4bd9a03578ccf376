"""The real-time guard runs the integrity rules on a pending power-matter step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from integrity_world import WED, World, baseline

from taxloop.integrity.guard import IntegrityGuard, WarehouseSource
from taxloop.workflow.guard import StepContext


def _ctx(
    officer: str,
    level: int,
    task: str,
    at: dt.datetime = WED,
    tin: str = "T001",
    required: int = 3,
    amount: str | None = None,
    matter: str = "VAT_REFUND",
) -> StepContext:
    return StepContext(
        task,
        matter,
        "approve",
        officer,
        level,
        "U2",
        at,
        None,
        (tin,),
        Decimal(amount) if amount else None,
        required,
        {},
    )


def _guard(world: World, tmp_path: Path) -> IntegrityGuard:
    return IntegrityGuard(WarehouseSource(world.backend(tmp_path)))


def test_clean_step_is_ok(tmp_path: Path) -> None:
    w = baseline()
    w.op("A1", "submit", "G1", WED - dt.timedelta(hours=2), tin="T001")
    decision = _guard(w, tmp_path).check(_ctx("L1", 5, "G1"))
    assert decision.level == "ok" and decision.rule_codes == ()


def test_self_approval_blocks_with_reason(tmp_path: Path) -> None:
    w = baseline()
    w.op("A3", "submit", "G1", WED - dt.timedelta(hours=2), tin="T001")
    w.officers[2]["level"] = 4  # A3 may approve level-3 matters, but not its own submission
    decision = _guard(w, tmp_path).check(_ctx("A3", 4, "G1"))
    assert decision.level == "block"
    assert "SELF_APPROVAL" in decision.rule_codes
    assert any("Same officer submits and approves" in r for r in decision.reasons)


def test_beyond_authority_blocks(tmp_path: Path) -> None:
    w = baseline()
    w.op("A1", "submit", "G1", WED - dt.timedelta(hours=2), tin="T001")
    decision = _guard(w, tmp_path).check(_ctx("A2", 2, "G1", required=4))
    assert decision.level == "block" and decision.rule_codes == ("BEYOND_AUTHORITY",)


def test_night_approval_reminds_but_passes(tmp_path: Path) -> None:
    w = baseline()
    w.op("A1", "submit", "G1", WED - dt.timedelta(hours=2), tin="T001")
    decision = _guard(w, tmp_path).check(_ctx("L1", 5, "G1", at=WED.replace(hour=23)))
    assert decision.level == "remind" and decision.rule_codes == ("OFF_HOURS_APPROVAL",)


def test_history_counts_third_split_below_threshold(tmp_path: Path) -> None:
    w = baseline()
    for i, amount in enumerate((48000, 47000)):
        w.op("L1", "approve", f"S{i}", WED - dt.timedelta(days=10 - i), tin="T001", amount=amount, matter="PENALTY")
    guard = _guard(w, tmp_path)
    decision = guard.check(_ctx("L1", 5, "S9", amount="49000.00", matter="PENALTY"))
    assert (decision.level, decision.rule_codes) == ("block", ("THRESHOLD_STRUCTURING",))
    assert guard.check(_ctx("L1", 5, "S9", amount="52000.00", matter="PENALTY")).level == "ok"
