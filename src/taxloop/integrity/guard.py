"""Real-time internal control: the integrity rules run on a power-matter step before it commits.

``IntegrityGuard`` implements the workflow's ``StepGuard`` protocol. For a step it builds the pending operation
(``op_id = 'PENDING'``) from the step context, takes the recent operations of the same officer, taxpayers and case
from the warehouse, and runs the *same rule files* as the batch scan on that small set in an in-memory DuckDB.
A rule "concerns the step" when its evidence names the pending operation. A high-severity rule blocks the step
(the workflow then needs an override by a higher-level officer, logged and flagged); any other rule lets it through
with a reminder recorded in the trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Literal, Protocol

import duckdb
import pyarrow as pa

from taxloop.analytics.backend import AnalyticsBackend
from taxloop.integrity.eventlog_import import OPERATION_LOG_SCHEMA
from taxloop.integrity.scan import load_integrity_rules, run_integrity_rules
from taxloop.risk.scan import RuleRun
from taxloop.rules.spec import RuleSpec
from taxloop.workflow.guard import GuardDecision, StepContext

PENDING = "PENDING"
#: Rules that judge one step with the step's own data (the others need whole-period statistics).
GUARD_RULES = (
    "SELF_APPROVAL",
    "FOUR_EYES",
    "BEYOND_AUTHORITY",
    "OFF_HOURS_APPROVAL",
    "THRESHOLD_STRUCTURING",
    "CONFLICT_ID",
    "CONFLICT_PHONE",
    "CONFLICT_ADDRESS",
    "REPEATED_RELIEF",
    "REFUND_AFTER_DEREG",
    "INACTIVE_OFFICER_OP",
    "ROLE_NOT_ALLOWED_APPROVE",
    "DEREG_WITH_ARREARS",
    "INVOICE_QUOTA_NEW_FIRM",
    "REJECT_THEN_APPROVE",
)
STEP_ACTIONS = {"accept": "accept", "examine": "accept", "check": "accept", "approve": "approve", "decide": "approve"}


class ContextSource(Protocol):
    """Where the guard finds the recent history around a step."""

    def tables(self, ctx: StepContext) -> dict[str, pa.Table]:
        """``operation_log``, ``officers``, ``taxpayers``, ``payments`` rows relevant to the step."""
        ...


class WarehouseSource:
    """Recent history from the analytics warehouse (operations of the last ``days`` days)."""

    def __init__(self, backend: AnalyticsBackend, days: int = 365) -> None:
        self.backend, self.days = backend, days

    def tables(self, ctx: StepContext) -> dict[str, pa.Table]:
        """Rows of the officer, the step's taxpayers and its case."""
        tins = ", ".join("'" + t.replace("'", "''") + "'" for t in ctx.tins) or "NULL"
        officer = ctx.officer_id.replace("'", "''")
        case = ctx.task_id.replace("'", "''")
        since = (ctx.at - dt.timedelta(days=self.days)).isoformat(sep=" ")
        wanted = {
            "operation_log": f"SELECT * FROM operation_log WHERE ts >= TIMESTAMP '{since}' AND "
            f"(officer_id = '{officer}' OR tin IN ({tins}) OR case_id = '{case}')",
            "officers": f"SELECT * FROM officers WHERE officer_id = '{officer}'",
            "taxpayers": f"SELECT * FROM taxpayers WHERE tin IN ({tins})",
            "payments": f"SELECT * FROM payments WHERE tin IN ({tins})",
        }
        return {name: self.backend.query(sql) for name, sql in wanted.items() if self.backend.has_table(name)}


def pending_operation(ctx: StepContext) -> dict[str, Any]:
    """The step as an ``operation_log`` row (op_id ``PENDING``)."""
    amount = ctx.amount if ctx.amount is None else Decimal(ctx.amount).quantize(Decimal("0.01"))
    return {
        "op_id": PENDING,
        "ts": ctx.at.replace(tzinfo=None),
        "officer_id": ctx.officer_id,
        "system": "management",
        "matter_code": ctx.matter_code,
        "case_id": ctx.task_id,
        "tin": ctx.tins[0] if ctx.tins else None,
        "action": STEP_ACTIONS.get(ctx.step, "approve"),
        "amount": amount,
        "required_level": ctx.required_level,
        "note": None,
    }


class _MemoryBackend:
    """The smallest AnalyticsBackend: an in-memory DuckDB over a few Arrow tables."""

    name = "duckdb"

    def __init__(self, data: dict[str, pa.Table]) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET threads=1")
        for name, table in data.items():
            self.con.register(f"_{name}", table)
            self.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "_{name}"')
            self.con.unregister(f"_{name}")

    def table_names(self) -> list[str]:
        rows = self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        return sorted(r[0] for r in rows)

    def has_table(self, name: str) -> bool:
        return name in self.table_names()

    def query(self, sql: str) -> pa.Table:
        return self.con.sql(sql).to_arrow_table()

    def materialize(self, name: str, sql: str) -> int:
        self.con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')
        return int(self.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0])

    def stage(self, name: str, sqls: Sequence[str]) -> int:
        return self.materialize(name, " UNION ALL ".join(f"SELECT * FROM ({sql})" for sql in sqls))

    def write_arrow(self, name: str, data: pa.Table) -> int:
        self.con.register("_arrow", data)
        try:
            return self.materialize(name, 'SELECT * FROM "_arrow"')
        finally:
            self.con.unregister("_arrow")

    def close(self) -> None:
        self.con.close()


def _with_pending(ops: pa.Table | None, ctx: StepContext) -> pa.Table:
    base = pa.Table.from_pylist([pending_operation(ctx)], schema=pa.schema(list(OPERATION_LOG_SCHEMA)[:11]))
    if ops is None or ops.num_rows == 0:
        return base
    cols = [c for c in base.column_names if c in ops.column_names]
    history = ops.select(cols).cast(pa.schema([base.schema.field(c) for c in cols]))
    missing = [c for c in base.column_names if c not in cols]
    for name in missing:
        history = history.append_column(
            base.schema.field(name), pa.nulls(history.num_rows, base.schema.field(name).type)
        )
    return pa.concat_tables([history.select(base.column_names), base])


class IntegrityGuard:
    """``StepGuard`` that runs the integrity rules on a pending power-matter step."""

    def __init__(
        self,
        source: ContextSource,
        specs: Sequence[RuleSpec] | None = None,
        params: dict[str, dict[str, Any]] | None = None,
        on_run: Callable[[RuleRun], None] | None = None,
    ) -> None:
        all_specs = specs if specs is not None else load_integrity_rules()
        self.specs = [s for s in all_specs if s.code in GUARD_RULES]
        self.source, self.params, self.on_run = source, params or {}, on_run

    def check(self, step_context: StepContext) -> GuardDecision:
        """Run the guard rules; block on a high-severity rule naming the step, remind on any other."""
        data = self.source.tables(step_context)
        data["operation_log"] = _with_pending(data.get("operation_log"), step_context)
        backend = _MemoryBackend(data)
        try:
            hits, _ = run_integrity_rules(backend, self.specs, self.params, scan_id="guard", on_rule=self.on_run)
        finally:
            backend.close()
        severity = {s.code: s.severity for s in self.specs}
        names = {s.code: f"{s.name_zh} / {s.name_en}" for s in self.specs}
        fired: dict[str, str] = {}
        for hit in hits.to_pylist():
            if hit["officer_id"] == step_context.officer_id and PENDING in (hit["evidence"] or "").split(";"):
                fired[hit["code"]] = names[hit["code"]]
        if not fired:
            return GuardDecision()
        level: Literal["remind", "block"] = "block" if any(severity[c] == "high" for c in fired) else "remind"
        codes = tuple(sorted(fired))
        return GuardDecision(level=level, reasons=tuple(fired[c] for c in codes), rule_codes=codes)
