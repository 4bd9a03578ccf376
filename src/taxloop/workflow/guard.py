"""Internal-control hook: a ``StepGuard`` is asked before a power-matter step is committed.

The integrity area plugs real rules in; the default guard allows every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class StepContext:
    """What the guard sees about a step about to be committed."""

    task_id: str
    matter_code: str
    step: str
    officer_id: str
    officer_level: int
    officer_unit: str
    at: datetime
    entity_id: str | None = None
    tins: tuple[str, ...] = ()
    amount: Decimal | None = None
    required_level: int = 1
    record: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GuardDecision:
    """The guard's answer: ``ok``, ``remind`` (recorded in the trail) or ``block`` (needs an override)."""

    level: Literal["ok", "remind", "block"] = "ok"
    reasons: tuple[str, ...] = ()
    rule_codes: tuple[str, ...] = ()


class StepGuard(Protocol):
    """Checks a power-matter step before it commits."""

    def check(self, step_context: StepContext) -> GuardDecision:
        """Decide on one step."""
        ...


class AllowAllGuard:
    """The default guard: every step is ok."""

    def check(self, step_context: StepContext) -> GuardDecision:
        """Always ``ok``."""
        return GuardDecision()
