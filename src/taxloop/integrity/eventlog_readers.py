"""Streaming readers for IEEE XES (``.xes``, ``.xes.gz``) and event-log CSV (``.csv``, ``.csv.gz``).

Both yield ``(position, record)`` pairs where ``record`` maps attribute/column names to text. For XES, each
event's own attributes are given under their keys (``concept:name``, ``time:timestamp``, ...) and the attributes of
its trace under ``case:<key>`` (so the case id is ``case:concept:name``). ``position`` is the 1-based event number
for XES and the 1-based data line for CSV; errors name it.
"""

from __future__ import annotations

import csv
import gzip
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ATTRIBUTE_TAGS = {"string", "date", "int", "float", "boolean", "id"}


class EventLogError(ValueError):
    """A malformed event log (the message names the file and the place)."""


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def read_xes(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream the events of an XES log with ``iterparse`` (memory stays bounded by one trace)."""
    depth = 0
    trace_attrs: dict[str, str] = {}
    event: dict[str, str] | None = None
    in_trace = False
    seen_log = False
    n = 0
    try:
        with _open_binary(path) as handle:
            for kind, elem in ET.iterparse(handle, events=("start", "end")):
                tag = _local(elem.tag)
                if kind == "start":
                    depth += 1
                    if depth == 1:
                        if tag != "log":
                            raise EventLogError(f"{path}: root element is <{tag}>, expected <log> (not an XES file)")
                        seen_log = True
                    elif tag == "trace" and depth == 2:
                        in_trace, trace_attrs = True, {}
                    elif tag == "event" and in_trace and depth == 3:
                        event = {}
                    continue
                depth -= 1
                if tag in ATTRIBUTE_TAGS and in_trace:
                    key, value = elem.get("key"), elem.get("value")
                    if key is None or value is None:
                        where = f"event {n + 1}" if event is not None else "trace attributes"
                        raise EventLogError(f"{path}: {where}: <{tag}> without key or value")
                    if event is not None and depth == 3:
                        event[key] = value
                    elif event is None and depth == 2:
                        trace_attrs[key] = value
                elif tag == "event" and event is not None:
                    n += 1
                    record = {f"case:{k}": v for k, v in trace_attrs.items()}
                    record.update(event)
                    yield n, record
                    event = None
                    elem.clear()
                elif tag == "trace":
                    in_trace = False
                    elem.clear()
    except ET.ParseError as exc:
        line, col = exc.position
        raise EventLogError(f"{path}: line {line}, column {col}: malformed XML: {exc.msg}") from exc
    except (OSError, EOFError) as exc:
        raise EventLogError(f"{path}: cannot read: {exc}") from exc
    if not seen_log:
        raise EventLogError(f"{path}: empty file, expected an XES <log>")


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream the rows of an event-log CSV (UTF-8, header row)."""
    try:
        with _open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            reader = csv.reader(text)
            try:
                header = next(reader)
            except StopIteration:
                raise EventLogError(f"{path}: empty file, expected a header row") from None
            width = len(header)
            for line, row in enumerate(reader, start=2):
                if len(row) != width:
                    raise EventLogError(f"{path}: line {line}: {len(row)} fields, header has {width}")
                yield line, dict(zip(header, row, strict=True))
    except UnicodeDecodeError as exc:
        raise EventLogError(f"{path}: not UTF-8 text: {exc}") from exc
    except (OSError, EOFError, csv.Error) as exc:
        raise EventLogError(f"{path}: cannot read: {exc}") from exc


def csv_header(path: Path) -> list[str]:
    """The header row of an event-log CSV."""
    with _open_binary(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        return next(csv.reader(text), [])


def read_events(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Dispatch on the format (``xes`` or ``csv``)."""
    if fmt == "xes":
        return read_xes(path)
    if fmt == "csv":
        return read_csv(path)
    raise EventLogError(f"{path}: unknown event-log format {fmt!r}; expected 'xes' or 'csv'")
