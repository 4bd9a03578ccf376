"""The matter catalogue (事项): one YAML file per matter with a validated header.

A matter has its four elements — operation content (``content``), outputs, process steps and the
standard (required record fields, outputs and allowed findings) — its names in Chinese and English,
whether it is a power matter (touches taxpayer interests or needs an officer's judgement or
approval), the authority level it needs, its deadline, and who may do each step.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from taxloop import yamlfile
from taxloop.workflow.errors import MatterError, NotFound

ROLES = ("administrator", "reviewer", "inspector", "discipline", "analyst", "leader")
FINDINGS = ("no_issue", "adjusted", "fraud")
LIBRARY = Path(__file__).resolve().parents[1] / "library" / "matters"


class Step(BaseModel):
    """One process step and who may do it."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    name_zh: str = Field(min_length=2)
    name_en: str = Field(min_length=2)
    roles: list[Literal["administrator", "reviewer", "inspector", "discipline", "analyst", "leader"]]
    min_level: int = Field(1, ge=1, le=5)
    required: bool = True
    power: bool = False


FindingCode = Literal["no_issue", "adjusted", "fraud"]


def _all_findings() -> list[FindingCode]:
    return ["no_issue", "adjusted", "fraud"]


class Standard(BaseModel):
    """What a complete response must hold."""

    record_fields: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    findings: list[FindingCode] = Field(default_factory=_all_findings)
    recovery_required_for: list[Literal["adjusted", "fraud"]] = Field(default_factory=list)
    evidence_required_for: list[Literal["no_issue", "adjusted", "fraud"]] = Field(default_factory=list)


class Matter(BaseModel):
    """The validated content of one matter file."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{2,40}$")
    name_zh: str = Field(min_length=2)
    name_en: str = Field(min_length=3)
    category: str = Field(min_length=2)
    category_no: int | None = Field(None, ge=1, le=130)
    task_kind: Literal["risk", "review", "integrity", "service", "approval"]
    power_matter: bool
    power_reason: str = ""
    authority_level: int = Field(ge=1, le=5)
    deadline_days: int = Field(ge=1, le=365)
    content: str = Field(min_length=5)
    outputs: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    standard: Standard
    version: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Matter:
        codes = [s.code for s in self.steps]
        if len(set(codes)) != len(codes):
            raise ValueError(f"duplicate step codes in {codes}")
        if self.power_matter and not self.power_reason:
            raise ValueError("a power matter must say why (power_reason)")
        if self.power_matter and not any(s.power for s in self.steps):
            raise ValueError("a power matter needs at least one step marked power: true")
        missing = [o for o in self.standard.outputs if o not in self.outputs]
        if missing:
            raise ValueError(f"standard.outputs {missing} are not among the matter's outputs")
        return self

    def step(self, code: str) -> Step:
        """The step named ``code`` or ``NotFound``."""
        for s in self.steps:
            if s.code == code:
                return s
        raise NotFound(f"matter {self.code} has no step {code!r} / 事项无此环节")

    @property
    def required_steps(self) -> list[str]:
        """Codes of the steps every response must include."""
        return [s.code for s in self.steps if s.required]


def load_matter(path: Path) -> Matter:
    """Read and validate one matter file; ``MatterError`` names the file and the field."""
    try:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MatterError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise MatterError(f"{path}: a matter file must be a mapping")
    try:
        matter = Matter.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}" for e in exc.errors())
        raise MatterError(f"{path}: {problems}") from exc
    if path.stem != matter.code:
        raise MatterError(f"{path}: file name must be the matter code {matter.code}.yaml")
    return matter


def lint(folder: Path = LIBRARY) -> tuple[dict[str, Matter], list[str]]:
    """Load every matter file in ``folder``; returns the good ones and one message per bad file."""
    good: dict[str, Matter] = {}
    errors: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            m = load_matter(path)
        except MatterError as exc:
            errors.append(str(exc))
            continue
        if m.code in good:
            errors.append(f"{path}: duplicate matter code {m.code}")
        good[m.code] = m
    return good, errors


class Catalogue:
    """The matters by code."""

    def __init__(self, matters: dict[str, Matter]) -> None:
        self.matters = matters

    def get(self, code: str) -> Matter:
        """The matter ``code`` or ``NotFound``."""
        try:
            return self.matters[code]
        except KeyError:
            raise NotFound(f"matter {code} is not in the catalogue / 事项目录中无此事项") from None

    @classmethod
    def load(cls, folder: Path = LIBRARY) -> Catalogue:
        """Load a folder; refuses (``MatterError``) if any file is bad."""
        good, errors = lint(folder)
        if errors:
            raise MatterError("bad matter files:\n" + "\n".join(errors))
        return cls(good)


@cache
def default_catalogue() -> Catalogue:
    """The packaged catalogue (loaded once, on first use)."""
    return Catalogue.load(LIBRARY)
