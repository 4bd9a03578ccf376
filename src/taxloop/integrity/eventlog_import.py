"""Turn a foreign event log into contract ``operation_log`` rows and derived ``officers`` rows.

Every event becomes one row: nothing is dropped. Events whose activity is in no list of the mapping get
``action`` NULL and ``action_class = 'unmapped'`` and are counted in the report; known activities without a
contract action get ``action_class = 'other'``; events whose lifecycle is not kept get ``action_class =
'lifecycle:<value>'``. Extra columns (kept by the contract): ``activity``, ``lifecycle``, ``action_class``,
``due_ts``, ``source_log`` and the lineage columns ``_src_file``, ``_src_line``.

Timestamps with an offset are converted to the mapping's time zone and stored as local wall-clock time
(the contract's convention); timestamps without one are taken as local already.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from taxloop.integrity.eventlog_readers import EventLogError, csv_header, read_events
from taxloop.integrity.mapping import EventLogMapping

OPERATION_LOG_SCHEMA = pa.schema(
    [
        ("op_id", pa.string()),
        ("ts", pa.timestamp("us")),
        ("officer_id", pa.string()),
        ("system", pa.string()),
        ("matter_code", pa.string()),
        ("case_id", pa.string()),
        ("tin", pa.string()),
        ("action", pa.string()),
        ("amount", pa.decimal128(18, 2)),
        ("required_level", pa.int64()),
        ("note", pa.string()),
        ("activity", pa.string()),
        ("lifecycle", pa.string()),
        ("action_class", pa.string()),
        ("due_ts", pa.timestamp("us")),
        ("source_log", pa.string()),
        ("_src_file", pa.string()),
        ("_src_line", pa.int64()),
    ]
)


@dataclass
class ImportReport:
    """What an import did: counts, unmapped activities (name -> events), events without a resource."""

    source: str
    mapping: str
    events: int = 0
    cases: int = 0
    officers: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[str] = field(default_factory=Counter)
    missing_resource: int = 0
    date_only: int = 0


def parse_ts(text: str, zone: ZoneInfo, where: str) -> datetime:
    """ISO timestamp -> naive local time in ``zone`` (offsets converted; naive taken as local)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        raise EventLogError(f"{where}: bad timestamp {text!r} (expected ISO 8601)") from None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(zone).replace(tzinfo=None)
    return stamp


def _amount(text: str | None, where: str) -> Decimal | None:
    if text is None or text.strip() == "":
        return None
    try:
        return Decimal(text.strip()).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise EventLogError(f"{where}: bad amount {text!r}") from None


def _check_columns(path: Path, mapping: EventLogMapping) -> None:
    if mapping.format != "csv":
        return
    header = set(csv_header(path))
    wanted = [mapping.case, mapping.activity, mapping.timestamp, mapping.resource]
    wanted += [c for c in (mapping.lifecycle, mapping.amount, mapping.due, mapping.tin, mapping.unit) if c]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise EventLogError(f"{path}: columns {missing} named by mapping {mapping.name!r} are not in the header")


def convert_log(path: Path, mapping: EventLogMapping) -> tuple[pa.Table, pa.Table, ImportReport]:
    """Read ``path`` with ``mapping``; returns (operation_log rows, officers rows, report)."""
    _check_columns(path, mapping)
    zone = mapping.zone()
    actions = mapping.activity_actions()
    other = set(mapping.other)
    keep = {v.lower() for v in mapping.keep_lifecycles}
    report = ImportReport(source=str(path), mapping=mapping.name)
    cols: dict[str, list[object]] = {f.name: [] for f in OPERATION_LOG_SCHEMA}
    columns = list(cols.values())
    stamps: dict[str, datetime] = {}
    first_seen: dict[str, datetime] = {}
    units: dict[str, Counter[str]] = {}
    cases: set[str] = set()
    unit = "event" if mapping.format == "xes" else "line"
    for pos, rec in read_events(path, mapping.format):
        where = f"{path}: {unit} {pos}"
        case = rec.get(mapping.case, "").strip()
        activity = rec.get(mapping.activity, "").strip()
        raw_ts = rec.get(mapping.timestamp, "").strip()
        if not case:
            raise EventLogError(f"{where}: no case id ({mapping.case!r})")
        if not activity:
            raise EventLogError(f"{where}: no activity ({mapping.activity!r})")
        if not raw_ts:
            raise EventLogError(f"{where}: no timestamp ({mapping.timestamp!r})")
        ts = stamps.get(raw_ts) or stamps.setdefault(raw_ts, parse_ts(raw_ts, zone, where))
        resource = rec.get(mapping.resource, "").strip()
        if not resource:
            resource = mapping.missing_resource
            report.missing_resource += 1
        lifecycle = rec.get(mapping.lifecycle, "").strip() if mapping.lifecycle else ""
        action: str | None = actions.get(activity)
        if action is not None:
            cls = action
            if keep and lifecycle.lower() not in keep:
                action, cls = None, f"lifecycle:{lifecycle.lower() or 'none'}"
        elif activity in other:
            cls = "other"
        else:
            cls = "unmapped"
            report.unmapped[activity] += 1
        report.actions[cls] += 1
        due_raw = rec.get(mapping.due, "").strip() if mapping.due else ""
        due = (stamps.get(due_raw) or stamps.setdefault(due_raw, parse_ts(due_raw, zone, where))) if due_raw else None
        if ts.hour == ts.minute == ts.second == ts.microsecond == 0:
            report.date_only += 1
        report.events += 1
        cases.add(case)
        first_seen[resource] = min(first_seen.get(resource, ts), ts)
        if mapping.unit and rec.get(mapping.unit):
            units.setdefault(resource, Counter())[rec[mapping.unit]] += 1
        values = (
            f"{mapping.name}:{report.events}",
            ts,
            resource,
            mapping.system,
            mapping.matter_code,
            case,
            (rec.get(mapping.tin, "").strip() or None) if mapping.tin else None,
            action,
            _amount(rec.get(mapping.amount), where) if mapping.amount else None,
            None,
            None,
            activity,
            lifecycle or None,
            cls,
            due,
            mapping.name,
            path.name,
            pos,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    if report.events == 0:
        raise EventLogError(f"{path}: no events found")
    report.cases = len(cases)
    report.officers = len(first_seen)
    ops = pa.Table.from_pydict(cols, schema=OPERATION_LOG_SCHEMA)
    return ops, officers_table(mapping, first_seen, units), report


def officers_table(
    mapping: EventLogMapping, first_seen: dict[str, datetime], units: dict[str, Counter[str]]
) -> pa.Table:
    """Contract ``officers`` rows for the resources of a log (unit = their most frequent group)."""
    ids = sorted(first_seen)
    return pa.table(
        {
            "officer_id": pa.array(ids, pa.string()),
            "name": pa.array(ids, pa.string()),
            "id_number": pa.array([None] * len(ids), pa.string()),
            "address": pa.array([None] * len(ids), pa.string()),
            "phone": pa.array([None] * len(ids), pa.string()),
            "unit_code": pa.array(
                [units[i].most_common(1)[0][0] if i in units else mapping.name for i in ids], pa.string()
            ),
            "region_code": pa.array([mapping.region_code] * len(ids), pa.string()),
            "role": pa.array(["administrator"] * len(ids), pa.string()),
            "level": pa.array([mapping.officer_level] * len(ids), pa.int64()),
            "skills": pa.array([None] * len(ids), pa.string()),
            "active_from": pa.array([first_seen[i].date() for i in ids], pa.date32()),
            "active_to": pa.array([None] * len(ids), pa.date32()),
            "source_log": pa.array([mapping.name] * len(ids), pa.string()),
        }
    )
