"""Event-log import: XES and CSV with a mapping, time zones, unmapped activities kept, clear errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from taxloop.integrity.eventlog_import import convert_log
from taxloop.integrity.eventlog_readers import EventLogError
from taxloop.integrity.mapping import EventLogMapping, MappingError, load_mapping

XES = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="concept:name" value="UNKNOWN"/></global>
  <trace>
    <string key="concept:name" value="case-1"/>
    <date key="deadline" value="2011-10-12T10:00:00.000+02:00"/>
    <event>
      <string key="org:resource" value="R1"/>
      <string key="concept:name" value="Submit"/>
      <date key="time:timestamp" value="2011-10-11T13:45:40.276+02:00"/>
      <string key="lifecycle:transition" value="complete"/>
      <list key="nested"><string key="concept:name" value="ignored"/></list>
    </event>
    <event>
      <string key="org:resource" value="R1"/>
      <string key="concept:name" value="Decide"/>
      <date key="time:timestamp" value="2011-10-12T09:00:00.000Z"/>
      <string key="lifecycle:transition" value="complete"/>
    </event>
    <event>
      <string key="concept:name" value="Mystery step"/>
      <date key="time:timestamp" value="2011-10-13T00:00:00.000+02:00"/>
      <string key="lifecycle:transition" value="start"/>
    </event>
  </trace>
</log>
"""


def _mapping(fmt: str = "xes", **kw: object) -> EventLogMapping:
    base: dict[str, object] = {
        "name": "demo",
        "format": fmt,
        "case": "case:concept:name",
        "activity": "concept:name",
        "timestamp": "time:timestamp",
        "resource": "org:resource",
        "lifecycle": "lifecycle:transition",
        "keep_lifecycles": ["complete"],
        "due": "case:deadline",
        "timezone": "Europe/Amsterdam",
        "matter_code": "DEMO",
        "actions": {"submit": ["Submit"], "approve": ["Decide"]},
    }
    base.update(kw)
    return EventLogMapping.model_validate(base)


def test_xes_gz_streams_with_trace_attributes_and_time_zone(tmp_path: Path) -> None:
    path = tmp_path / "log.xes.gz"
    path.write_bytes(gzip.compress(XES.encode()))
    ops, officers, report = convert_log(path, _mapping())
    rows = ops.to_pylist()
    assert [r["case_id"] for r in rows] == ["case-1"] * 3
    assert [r["action"] for r in rows] == ["submit", "approve", None]
    assert str(rows[1]["ts"]) == "2011-10-12 11:00:00"  # 09:00 UTC is 11:00 in Amsterdam (summer time)
    assert str(rows[0]["due_ts"]) == "2011-10-12 10:00:00"
    assert rows[2]["officer_id"] == "UNKNOWN" and rows[2]["action_class"] == "unmapped"
    assert report.unmapped == {"Mystery step": 1} and report.missing_resource == 1 and report.date_only == 1
    assert sorted(officers.column("officer_id").to_pylist()) == ["R1", "UNKNOWN"]


def test_lifecycle_not_kept_gets_no_action_but_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(XES.replace('value="complete"', 'value="start"', 1), encoding="utf-8")
    ops, _, report = convert_log(path, _mapping())
    assert ops.num_rows == 3
    assert report.actions["lifecycle:start"] == 1 and ops.column("action").to_pylist()[0] is None


def test_csv_with_mapping_and_unknown_activity(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "case,act,when,who,amt\nc1,Submit,2024-03-02T10:00:00,u1,12.5\nc1,Other,2024-03-02,u2,\n", encoding="utf-8"
    )
    mapping = _mapping(
        "csv",
        case="case",
        activity="act",
        timestamp="when",
        resource="who",
        lifecycle=None,
        keep_lifecycles=[],
        due=None,
        amount="amt",
        timezone="Asia/Shanghai",
    )
    ops, _, report = convert_log(path, mapping)
    rows = ops.to_pylist()
    assert str(rows[0]["amount"]) == "12.50" and rows[1]["action"] is None
    assert report.unmapped == {"Other": 1} and rows[1]["_src_line"] == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<log><trace><event><string key='a' value='b'/></trace></log>", "malformed XML"),
        ("<notxes/>", "not an XES file"),
        ("", "malformed XML"),
    ],
)
def test_malformed_xes_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.xes"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EventLogError, match=message):
        convert_log(path, _mapping())


def test_csv_errors_name_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("case,act,when,who\nc1,Submit,yesterday,u1\n", encoding="utf-8")
    mapping = _mapping("csv", case="case", activity="act", timestamp="when", resource="who", lifecycle=None, due=None)
    with pytest.raises(EventLogError, match=r"log.csv: line 2: bad timestamp 'yesterday'"):
        convert_log(path, mapping)
    with pytest.raises(EventLogError, match=r"columns \['case:concept:name'\]"):
        convert_log(path, _mapping("csv", activity="act", timestamp="when", resource="who", lifecycle=None, due=None))


def test_mapping_validation_and_bundled_files() -> None:
    for name in ("receipt_wabo", "bpic2015_municipality1", "road_traffic_fines", "bpic2012"):
        assert load_mapping(name).name == name
    with pytest.raises(MappingError, match="neither a file nor a bundled mapping"):
        load_mapping("nope")
    with pytest.raises(ValueError, match="mapped to both"):
        _mapping(actions={"submit": ["X"], "approve": ["X"]})
    with pytest.raises(ValueError, match="unknown time zone"):
        _mapping(timezone="Mars/Base")
