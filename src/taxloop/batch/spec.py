"""Batch matter files: which taxpayers a matter selects on a date, and the notice it sends them.

A batch matter is YAML: code, names zh/en, description, channel, ``sql`` (DuckDB dialect, may use ``:as_of``, a
DATE literal, and declared ``params``) returning one row per notice with columns ``tin``, ``notice_key`` (what
makes the notice unique besides matter and taxpayer, e.g. the period: a rerun never sends the same key twice),
``name`` and any values the templates use, and ``subject``/``body`` templates in zh and en (Jinja).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from taxloop import yamlfile
from taxloop.rules.spec import RuleParam


class Template(BaseModel):
    """Subject and body of one language's notice."""

    subject: str = Field(min_length=2)
    body: str = Field(min_length=5)


class BatchMatter(BaseModel):
    """One batch matter."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{2,39}$")
    name_zh: str
    name_en: str
    description: str
    channel: Literal["email", "sms", "letter", "online"]
    risk_level: Literal["any", "low", "medium", "high"] = "any"
    params: dict[str, RuleParam] = Field(default_factory=dict)
    tables: list[str] = Field(min_length=1)
    status: Literal["draft", "active", "retired"] = "active"
    version: int = Field(1, ge=1)
    sql: str = Field(min_length=10)
    zh: Template
    en: Template
    creates_task: str | None = Field(None, description="Matter code of a workflow task opened per notice")


class BatchFileError(ValueError):
    """A batch matter file that fails validation (the message names the file)."""


def load_batch_matter(path: Path) -> BatchMatter:
    """Read and validate one batch matter file."""
    try:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"))
        return BatchMatter.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise BatchFileError(f"{path}: cannot read: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BatchFileError(f"{path}: {problems}") from exc


def load_batch_matters(folder: Path | None = None) -> list[BatchMatter]:
    """Every batch matter in ``folder`` (the packaged library by default)."""
    if folder is None:
        return list(_packaged())
    matters = [load_batch_matter(p) for p in sorted(folder.glob("*.yaml"))]
    codes = [m.code for m in matters]
    dupes = {c for c in codes if codes.count(c) > 1}
    if dupes:
        raise BatchFileError(f"{folder}: duplicate batch matter codes {sorted(dupes)}")
    return matters


@cache
def _packaged() -> tuple[BatchMatter, ...]:
    folder = Path(str(resources.files("taxloop.library").joinpath("batch")))
    return tuple(load_batch_matters(folder))
