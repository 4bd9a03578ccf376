"""The validated header of a rule file (an indicator or an integrity rule).

A rule file is YAML: a header (code, names zh/en, category, subject, severity, parameters, tables,
version, owner, status) and ``sql``, one DuckDB-dialect SELECT that returns one row per hit with
the columns ``subject_id``, ``period`` (may be NULL), ``value``, ``threshold`` and ``evidence``
(a short text naming what made it fire: values, op_ids, case_ids). Parameters appear in the SQL
as ``:name`` placeholders and are substituted as literals at compile time.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from taxloop import yamlfile

TAXPAYER_CATEGORIES = (
    "vat",
    "cit",
    "iit",
    "property_land",
    "invoice",
    "registration",
    "third_party",
    "filing_payment",
    "network",
)
INTEGRITY_CATEGORIES = ("tax_service", "process_response", "inspection_evaluation", "tax_filing")
OUTPUT_COLUMNS = ("subject_id", "period", "value", "threshold", "evidence")
_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class RuleParam(BaseModel):
    """A tunable threshold with its default and help text."""

    default: float | int | str
    description: str = ""


class ParamOverride(BaseModel):
    """Different parameter values for some regions or industries (prefix match)."""

    region_code: str | None = None
    industry_prefix: str | None = None
    params: dict[str, float | int | str]


class RuleSpec(BaseModel):
    """Header and body of one rule file."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{2,31}$")
    name_zh: str = Field(min_length=2)
    name_en: str = Field(min_length=3)
    description: str = Field(min_length=5)
    category: str
    subject: Literal["taxpayer", "officer", "case"]
    severity: Literal["high", "medium", "low"]
    weight: float = Field(1.0, gt=0, le=10)
    params: dict[str, RuleParam] = Field(default_factory=dict)
    overrides: list[ParamOverride] = Field(default_factory=list)
    tables: list[str] = Field(min_length=1)
    version: int = Field(ge=1)
    owner: str = Field(min_length=1)
    status: Literal["draft", "active", "retired"]
    correlation_group: str | None = None
    schemes: list[str] = Field(default_factory=list, description="Schemes this rule is meant to catch")
    sql: str = Field(min_length=10)
    source: str = ""

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in TAXPAYER_CATEGORIES + INTEGRITY_CATEGORIES:
            raise ValueError(f"unknown category {value!r}")
        return value

    @model_validator(mode="after")
    def _params_match_sql(self) -> RuleSpec:
        used = set(_PLACEHOLDER.findall(self.sql))
        missing = used - set(self.params)
        if missing:
            raise ValueError(f"SQL uses undeclared parameters: {sorted(missing)}")
        unused = set(self.params) - used
        if unused:
            raise ValueError(f"declared parameters not used in SQL: {sorted(unused)}")
        if self.subject == "taxpayer" and self.category not in TAXPAYER_CATEGORIES:
            raise ValueError(f"taxpayer rule with integrity category {self.category!r}")
        if self.subject != "taxpayer" and self.category not in INTEGRITY_CATEGORIES:
            raise ValueError(f"{self.subject} rule needs an integrity category, got {self.category!r}")
        return self

    def defaults(self) -> dict[str, Any]:
        """Parameter values before overrides."""
        return {k: p.default for k, p in self.params.items()}


class RuleFileError(ValueError):
    """A rule file that cannot be read or fails validation (message names the file)."""


def load_rule(path: Path) -> RuleSpec:
    """Read and validate one rule file; errors name the file and the field."""
    try:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RuleFileError(f"{path}: cannot read YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleFileError(f"{path}: expected a mapping at top level")
    try:
        spec = RuleSpec.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise RuleFileError(f"{path}: {problems}") from exc
    if path.stem != spec.code and not path.stem.startswith(spec.code):
        raise RuleFileError(f"{path}: file name must start with the code {spec.code!r}")
    return spec


def load_rules(folder: Path) -> list[RuleSpec]:
    """Read every ``*.yaml`` under ``folder`` (recursively); duplicate codes are an error."""
    specs: list[RuleSpec] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.rglob("*.yaml")):
        spec = load_rule(path)
        if spec.code in seen:
            raise RuleFileError(f"{path}: code {spec.code} already used by {seen[spec.code]}")
        seen[spec.code] = str(path)
        specs.append(spec)
    return specs
