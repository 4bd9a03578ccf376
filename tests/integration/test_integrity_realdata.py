"""Real event logs: import, scan, and check three findings against counts computed here from the raw file.

The expected counts are computed with plain Python over the raw text (a line-based XES reader and the csv module),
not with the engine: four-eyes = (case, resource) pairs where one resource did both a check and a decision;
after-due-date = events later than their due date; off-hours = decisions at weekends or, when the time is known,
before 07:00 or from 20:00 local time.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from taxloop.analytics.duckdb_backend import DuckDBBackend
from taxloop.analytics.warehouse import Warehouse
from taxloop.integrity.mapping import bundled_mappings_dir, load_mapping
from taxloop.integrity.service import import_event_log, run_integrity_scan

pytestmark = [pytest.mark.realdata, pytest.mark.slow]
ATTR = re.compile(r'<(string|date|int|float|boolean)\s+key="([^"]+)"\s+value="([^"]*)"')
LOGS = {
    "receipt_wabo": "receipt_wabo.xes.gz",
    "bpic2015_municipality1": "bpic2015_municipality1.csv.gz",
    "road_traffic_fines": "road_traffic_fines.csv.gz",
    "bpic2012": "bpic2012.xes.gz",
}


def _raw_events(path: Path, m: dict[str, Any]) -> list[dict[str, str]]:
    """Events as dicts with keys case, activity, ts, resource, lifecycle, due (raw text)."""
    keys = {k: m.get(k) for k in ("case", "activity", "timestamp", "resource", "lifecycle", "due")}
    out: list[dict[str, str]] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        if m["format"] == "csv":
            for row in csv.DictReader(io.StringIO(fh.read())):
                out.append({k: row.get(v, "") if v else "" for k, v in keys.items()})
            return out
        trace: dict[str, str] = {}
        event: dict[str, str] | None = None
        depth = 0
        for line in fh:
            s = line.strip()
            if s.startswith("<trace"):
                trace, depth = {}, 1
            elif s.startswith("<event"):
                event = {}
            elif s.startswith("</event>") and event is not None:
                rec = {**{f"case:{k}": v for k, v in trace.items()}, **event}
                out.append({k: rec.get(v, "") if v else "" for k, v in keys.items()})
                event = None
            elif s.startswith("</trace>"):
                depth = 0
            elif depth and (hit := ATTR.match(s)):
                (event if event is not None else trace)[hit.group(2)] = hit.group(3)
    return out


def _expected(path: Path, name: str) -> dict[str, int]:
    m = yaml.safe_load((bundled_mappings_dir() / f"{name}.yaml").read_text(encoding="utf-8"))
    zone = ZoneInfo(m["timezone"])
    acts = m["actions"]
    checks, decisions = set(acts.get("check", [])), set(acts.get("approve", []))
    off_acts = decisions | set(acts.get("reject", []))
    keep = {x.lower() for x in m.get("keep_lifecycles", [])}
    did: dict[tuple[str, str], set[str]] = defaultdict(set)
    off = late = 0
    for e in _raw_events(path, m):
        res = e["resource"] or m.get("missing_resource", "UNKNOWN")
        if e["due"]:
            ts = dt.datetime.fromisoformat(e["timestamp"])
            ts = ts if ts.tzinfo else ts.replace(tzinfo=zone)
            late += ts > dt.datetime.fromisoformat(e["due"])
        if keep and e["lifecycle"].lower() not in keep:
            continue
        if e["activity"] in checks:
            did[(e["case"], res)].add("check")
        if e["activity"] in decisions:
            did[(e["case"], res)].add("decide")
        if e["activity"] in off_acts:
            day, clock = dt.date.fromisoformat(e["timestamp"][:10]), e["timestamp"][11:19]
            night = clock != "00:00:00" and (int(clock[:2]) < 7 or int(clock[:2]) >= 20)
            off += day.isoweekday() >= 6 or night
    four = sum(1 for v in did.values() if v == {"check", "decide"})
    return {"FOUR_EYES": four, "AFTER_DUE_DATE": late, "OFF_HOURS_APPROVAL": off}


@pytest.mark.parametrize("name", sorted(LOGS))
def test_real_log_findings_match_raw_counts(name: str, realdata: Path, tmp_path: Path) -> None:
    path = realdata / "eventlogs" / LOGS[name]
    wh = Warehouse(tmp_path / "wh").ensure()
    report = import_event_log(wh, path, load_mapping(name))
    assert report.events == sum(report.actions.values())
    backend = DuckDBBackend(wh)
    try:
        total = backend.query("SELECT count(*) AS n FROM operation_log").column("n")[0].as_py()
        assert total == report.events  # nothing dropped, unmapped activities included
        summary = run_integrity_scan(backend, params={"OFF_HOURS_APPROVAL": {"power_matters": "*"}})
        assert not [r for r in summary.runs if r.status == "error"]
        got = {
            "FOUR_EYES": backend.query("SELECT count(*) AS n FROM integrity_hits WHERE code = 'FOUR_EYES'"),
            "AFTER_DUE_DATE": backend.query(
                "SELECT coalesce(sum(value), 0) AS n FROM integrity_hits WHERE code = 'AFTER_DUE_DATE'"
            ),
            "OFF_HOURS_APPROVAL": backend.query(
                "SELECT coalesce(sum(value), 0) AS n FROM integrity_hits WHERE code = 'OFF_HOURS_APPROVAL'"
            ),
        }
        counts = {k: int(v.column("n")[0].as_py()) for k, v in got.items()}
        missing_evidence = (
            backend.query("SELECT count(*) AS n FROM integrity_hits WHERE evidence IS NULL OR evidence = ''")
            .column("n")[0]
            .as_py()
        )
    finally:
        backend.close()
    assert counts == _expected(path, name)
    assert missing_evidence == 0
