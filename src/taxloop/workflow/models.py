"""Domain models of the workflow platform (pydantic, so the API can return them as they are)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

TaskKind = Literal["risk", "review", "integrity", "service"]
Finding = Literal["no_issue", "adjusted", "fraud"]
OPEN_STATUSES = ("generated", "pushed", "allocated")
STATUSES = ("generated", "pushed", "allocated", "finished", "closed", "cancelled")
INTEGRITY_VIEWERS = frozenset({"discipline", "auditor"})


class Officer(BaseModel):
    """A tax officer as the workflow sees them (synced from the contract ``officers`` table)."""

    officer_id: str
    name: str
    id_number: str | None = None
    address: str | None = None
    phone: str | None = None
    unit_code: str
    region_code: str
    grid_code: str | None = None
    role: str
    level: int = Field(ge=1, le=5)
    skills: list[str] = Field(default_factory=list)
    capacity: int = Field(200, ge=0)
    active: bool = True


class Task(BaseModel):
    """One task: a risk response for one resolved taxpayer, a review, an integrity case or a reminder."""

    task_id: str
    kind: TaskKind
    matter_code: str
    batch_id: str | None = None
    scan_id: str | None = None
    entity_id: str | None = None
    tins: list[str] = Field(default_factory=list)
    region_code: str
    grid_code: str | None = None
    selection: str = "indicator"
    score: float | None = None
    level: str | None = None
    indicators: list[str] = Field(default_factory=list)
    hit_keys: list[str] = Field(default_factory=list)
    difficulty: int = Field(3, ge=1, le=5)
    skills: list[str] = Field(default_factory=list)
    persons: dict[str, list[str]] = Field(default_factory=dict)
    status: str = "generated"
    push_week: str | None = None
    assignee_id: str | None = None
    parent_task_id: str | None = None
    subject_officer_id: str | None = None
    restricted: bool = False
    created_at: datetime
    pushed_at: datetime | None = None
    allocated_at: datetime | None = None
    due_at: datetime | None = None
    finished_at: datetime | None = None
    finding: str | None = None
    tax_recovered: Decimal | None = None
    overdue: bool | None = None
    note: str | None = None
    review_drawn: bool = False
    version: int = 1

    def row(self) -> dict[str, Any]:
        """The task as a database row."""
        return self.model_dump()


class ResponseInput(BaseModel):
    """What an officer submits when answering a task."""

    steps: list[str] = Field(default_factory=list)
    record: dict[str, Any] = Field(default_factory=dict)
    outputs: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    finding: Finding
    tax_recovered: Decimal = Decimal("0")


class ReviewInput(BaseModel):
    """What a reviewer records about a finished task."""

    standard_followed: bool
    policy_right: bool
    result_fair: bool
    integrity_doubt: bool = False
    note: str = ""
