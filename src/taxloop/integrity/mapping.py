"""Event-log mapping files: how a foreign event log becomes rows of the contract's ``operation_log``.

A mapping file (YAML, ``library/eventlog_mappings/<name>.yaml``) names, for one kind of log:

- which attribute/column holds the case, the activity, the timestamp and the resource (officer);
- optional columns for lifecycle, amount, due date, taxpayer and unit;
- which activities count as ``submit``, ``check`` (stored as the contract action ``accept``), ``approve``,
  ``reject``, ``close``, ``modify``, ``void``, ``reopen``, ``query`` and ``export``;
- activities that are known but carry no contract action (``other``);
- the time zone of the log's wall-clock timestamps and the ``system``/``matter_code`` the rows get.

Activities in no list are *unmapped*: they are imported with ``action`` NULL and reported, never dropped.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from taxloop import yamlfile

CONTRACT_ACTIONS = ("submit", "accept", "approve", "reject", "modify", "void", "close", "reopen", "query", "export")
ACTION_ALIASES = {"check": "accept"}
SYSTEMS = ("collection", "management", "service", "inspection", "administration")


class MappingError(ValueError):
    """A mapping file that cannot be read or fails validation (message names the file)."""


class EventLogMapping(BaseModel):
    """One validated mapping file."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    name_zh: str = ""
    format: str = Field(pattern=r"^(xes|csv)$")
    case: str
    activity: str
    timestamp: str
    resource: str
    lifecycle: str | None = None
    keep_lifecycles: list[str] = Field(default_factory=list, description="Lifecycles that carry an action; empty=all")
    amount: str | None = None
    due: str | None = None
    tin: str | None = None
    unit: str | None = None
    timezone: str = "Asia/Shanghai"
    system: str = "administration"
    matter_code: str = Field(min_length=1)
    missing_resource: str = "UNKNOWN"
    officer_level: int = Field(3, ge=1, le=5)
    region_code: str = "IMPORTED"
    actions: dict[str, list[str]]
    other: list[str] = Field(default_factory=list, description="Known activities with no contract action")

    @field_validator("system")
    @classmethod
    def _known_system(cls, value: str) -> str:
        if value not in SYSTEMS:
            raise ValueError(f"unknown system {value!r}; expected one of {SYSTEMS}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _actions_known(self) -> EventLogMapping:
        bad = [a for a in self.actions if a not in CONTRACT_ACTIONS and a not in ACTION_ALIASES]
        if bad:
            raise ValueError(f"unknown actions {bad}; expected {CONTRACT_ACTIONS} or {tuple(ACTION_ALIASES)}")
        seen: dict[str, str] = {}
        for action, activities in self.actions.items():
            for activity in activities:
                if activity in seen and seen[activity] != action:
                    raise ValueError(f"activity {activity!r} mapped to both {seen[activity]!r} and {action!r}")
                seen[activity] = action
        return self

    def activity_actions(self) -> dict[str, str]:
        """Activity name -> contract action (``check`` resolved to ``accept``)."""
        out: dict[str, str] = {}
        for action, activities in self.actions.items():
            for activity in activities:
                out[activity] = ACTION_ALIASES.get(action, action)
        return out

    def zone(self) -> ZoneInfo:
        """The log's time zone."""
        return ZoneInfo(self.timezone)


def bundled_mappings_dir() -> Path:
    """Folder of the mapping files shipped with taxloop."""
    return Path(str(resources.files("taxloop") / "library" / "eventlog_mappings"))


def load_mapping(name_or_path: str | Path) -> EventLogMapping:
    """Read a mapping file by path, or by name among the bundled mappings."""
    path = Path(name_or_path)
    if not path.is_file():
        candidate = bundled_mappings_dir() / f"{name_or_path}.yaml"
        if not candidate.is_file():
            known = ", ".join(sorted(p.stem for p in bundled_mappings_dir().glob("*.yaml")))
            raise MappingError(f"mapping {name_or_path!r} is neither a file nor a bundled mapping ({known})")
        path = candidate
    try:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MappingError(f"{path}: expected a mapping at top level")
    try:
        return EventLogMapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise MappingError(f"{path}: {problems}") from exc
