"""Domain errors of the workflow platform (the API maps each to a 4xx status)."""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every workflow domain error."""

    status_code = 400


class NotFound(WorkflowError):
    """A task, officer or matter that does not exist."""

    status_code = 404


class NotAllowed(WorkflowError):
    """The actor may not do this (wrong officer, role, level or state)."""

    status_code = 403


class ConflictOfInterest(NotAllowed):
    """The officer is related to the taxpayer or handled its last tasks (rotation)."""


class StaleVersion(WorkflowError):
    """Another writer changed the task since it was read (optimistic concurrency)."""

    status_code = 409

    def __init__(self, task_id: str, expected: int) -> None:
        super().__init__(
            f"task {task_id} was changed by someone else (expected version {expected}) / 任务已被他人修改，请刷新后重试"
        )
        self.task_id = task_id
        self.expected = expected


class ResponseRefused(WorkflowError):
    """A response that lacks what the matter's standard requires."""

    status_code = 422

    def __init__(self, task_id: str, missing: list[str]) -> None:
        super().__init__(f"response to {task_id} refused, missing / 应对结果不完整，缺少: {', '.join(missing)}")
        self.task_id = task_id
        self.missing = missing


class StepBlocked(WorkflowError):
    """The internal-control guard blocked a power-matter step (override by a higher level needed)."""

    status_code = 423

    def __init__(self, task_id: str, reasons: list[str], rule_codes: list[str]) -> None:
        super().__init__(f"step on {task_id} blocked by internal control / 内控阻断: {'; '.join(reasons)}")
        self.task_id = task_id
        self.reasons = reasons
        self.rule_codes = rule_codes


class MatterError(WorkflowError):
    """A matter file that breaks the catalogue's rules."""
