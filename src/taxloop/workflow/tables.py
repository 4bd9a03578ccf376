"""SQLAlchemy 2 tables of the workflow store (the schema Alembic migrates).

Times are naive UTC ``DateTime``; lists and records are JSON; money is ``Numeric(18, 2)``.
``tasks.version`` is the optimistic-concurrency counter: every update bumps it and states the
version it read (``StaleVersion`` when another writer got there first).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

officers = sa.Table(
    "wf_officers",
    metadata,
    sa.Column("officer_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("id_number", sa.String(64)),
    sa.Column("address", sa.String(400)),
    sa.Column("phone", sa.String(64)),
    sa.Column("unit_code", sa.String(64), nullable=False),
    sa.Column("region_code", sa.String(64), nullable=False),
    sa.Column("grid_code", sa.String(64)),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)

batches = sa.Table(
    "wf_batches",
    metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("scan_id", sa.String(128)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("tasks", sa.Integer, nullable=False),
)

push_plan = sa.Table(
    "wf_push_plan",
    metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("region_code", sa.String(64), primary_key=True),
    sa.Column("week", sa.String(16), primary_key=True),
    sa.Column("planned", sa.Integer, nullable=False),
    sa.Column("random_planned", sa.Integer, nullable=False),
)

tasks = sa.Table(
    "wf_tasks",
    metadata,
    sa.Column("task_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False, index=True),
    sa.Column("matter_code", sa.String(64), nullable=False),
    sa.Column("batch_id", sa.String(64), index=True),
    sa.Column("scan_id", sa.String(128)),
    sa.Column("entity_id", sa.String(128), index=True),
    sa.Column("tins", sa.JSON, nullable=False),
    sa.Column("region_code", sa.String(64), nullable=False),
    sa.Column("grid_code", sa.String(64)),
    sa.Column("selection", sa.String(16), nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("level", sa.String(16)),
    sa.Column("indicators", sa.JSON, nullable=False),
    sa.Column("hit_keys", sa.JSON, nullable=False),
    sa.Column("difficulty", sa.Integer, nullable=False),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("persons", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("push_week", sa.String(16)),
    sa.Column("assignee_id", sa.String(64), index=True),
    sa.Column("parent_task_id", sa.String(64)),
    sa.Column("subject_officer_id", sa.String(64)),
    sa.Column("restricted", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("pushed_at", sa.DateTime),
    sa.Column("allocated_at", sa.DateTime),
    sa.Column("due_at", sa.DateTime),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("finding", sa.String(16)),
    sa.Column("tax_recovered", sa.Numeric(18, 2)),
    sa.Column("overdue", sa.Boolean),
    sa.Column("note", sa.Text),
    sa.Column("review_drawn", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("version", sa.Integer, nullable=False),
    # the inbox pages (officer's own / region's tasks by deadline), migration 0003
    sa.Index("ix_wf_tasks_assignee_due", "assignee_id", "due_at", "task_id"),
    sa.Index("ix_wf_tasks_region_due", "region_code", "due_at", "task_id"),
)

allocation_runs = sa.Table(
    "wf_allocation_runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("inputs", sa.LargeBinary, nullable=False),
    sa.Column("inputs_sha256", sa.String(64), nullable=False),
    sa.Column("allocated", sa.Integer, nullable=False),
    sa.Column("unallocated", sa.Integer, nullable=False),
)

allocations = sa.Table(
    "wf_allocations",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("task_id", sa.String(64), primary_key=True),
    sa.Column("officer_id", sa.String(64)),
    sa.Column("draw", sa.Float, nullable=False),
    sa.Column("weight", sa.Float, nullable=False),
    sa.Column("total_weight", sa.Float, nullable=False),
    sa.Column("candidates", sa.Integer, nullable=False),
)

responses = sa.Table(
    "wf_responses",
    metadata,
    sa.Column("response_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task_id", sa.String(64), nullable=False, index=True),
    sa.Column("officer_id", sa.String(64), nullable=False),
    sa.Column("submitted_at", sa.DateTime, nullable=False),
    sa.Column("steps", sa.JSON, nullable=False),
    sa.Column("record", sa.JSON, nullable=False),
    sa.Column("outputs", sa.JSON, nullable=False),
    sa.Column("evidence", sa.JSON, nullable=False),
    sa.Column("finding", sa.String(16), nullable=False),
    sa.Column("tax_recovered", sa.Numeric(18, 2), nullable=False),
    sa.Column("overdue", sa.Boolean, nullable=False),
    sa.Column("override_by", sa.String(64)),
    sa.Column("flagged", sa.Boolean, nullable=False),
)

reviews = sa.Table(
    "wf_reviews",
    metadata,
    sa.Column("review_task_id", sa.String(64), primary_key=True),
    sa.Column("task_id", sa.String(64), nullable=False, index=True),
    sa.Column("reviewed_officer_id", sa.String(64), nullable=False),
    sa.Column("reviewer_id", sa.String(64)),
    sa.Column("at", sa.DateTime),
    sa.Column("standard_followed", sa.Boolean),
    sa.Column("policy_right", sa.Boolean),
    sa.Column("result_fair", sa.Boolean),
    sa.Column("integrity_doubt", sa.Boolean),
    sa.Column("note", sa.Text),
    sa.Column("integrity_task_id", sa.String(64)),
)

audit_events = sa.Table(
    "wf_audit_events",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ts", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(128), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

audit_anchors = sa.Table(
    "wf_audit_anchors",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("ts", sa.String(32), nullable=False),
)
