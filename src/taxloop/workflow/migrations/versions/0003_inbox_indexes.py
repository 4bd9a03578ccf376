"""inbox indexes: an officer's and a region's tasks in deadline order

Revision ID: 0003
Revises: 0002

The inbox lists tasks by assignee (officers) or region (leaders, analysts) ordered by
``due_at NULLS LAST, task_id``; these composite indexes let the database read the first page straight from
the index instead of fetching and sorting every task of the officer or region.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_wf_tasks_assignee_due", "wf_tasks", ["assignee_id", "due_at", "task_id"])
    op.create_index("ix_wf_tasks_region_due", "wf_tasks", ["region_code", "due_at", "task_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_wf_tasks_region_due", table_name="wf_tasks")
    op.drop_index("ix_wf_tasks_assignee_due", table_name="wf_tasks")
