"""The provider registry and data-sharing agreements, read from a validated data file."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from taxloop import yamlfile

Classification = Literal["public", "internal", "confidential", "secret"]
ROLES = ("administrator", "reviewer", "inspector", "discipline", "analyst", "leader", "auditor")


class Schedule(BaseModel):
    """When a provider must deliver: monthly, by ``due_day`` of the following month."""

    frequency: Literal["monthly"] = "monthly"
    due_day: int = Field(ge=1, le=28)


class Coverage(BaseModel):
    """Which taxpayers a provider's data should cover (by registration kind)."""

    kinds: list[Literal["enterprise", "individual_business", "natural_person"]]
    complete: bool = Field(False, description="The data should cover every registered taxpayer of these kinds")
    description_en: str = ""
    description_zh: str = ""


class Provider(BaseModel):
    """One department that shares data."""

    code: str
    name_zh: str
    name_en: str
    tables: list[str] = Field(min_length=1)
    schedule: Schedule
    coverage: Coverage


class Agreement(BaseModel):
    """A data-sharing agreement for one table: purpose, classification, retention, who may use it."""

    table: str
    provider: str
    purpose: str
    classification: Classification
    retention_days: int = Field(gt=0)
    roles: list[str]
    personal_fields: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_roles(self) -> Agreement:
        unknown = set(self.roles) - set(ROLES)
        if unknown:
            raise ValueError(f"agreement for {self.table}: unknown roles {sorted(unknown)}")
        return self


class Registry(BaseModel):
    """Providers, agreements and the roles that may see personal data unmasked."""

    providers: list[Provider]
    agreements: list[Agreement]
    unmask_roles: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Registry:
        codes = {p.code for p in self.providers}
        for ag in self.agreements:
            if ag.provider not in codes:
                raise ValueError(f"agreement for {ag.table} names unknown provider {ag.provider}")
        tables = {t for p in self.providers for t in p.tables}
        missing = tables - {a.table for a in self.agreements}
        if missing:
            raise ValueError(f"tables shared without an agreement: {sorted(missing)}")
        return self

    def agreement(self, table: str) -> Agreement | None:
        """The agreement that governs ``table`` (None for the bureau's own tables)."""
        return next((a for a in self.agreements if a.table == table), None)

    def provider(self, code: str) -> Provider:
        """The provider with this code."""
        for p in self.providers:
            if p.code == code:
                return p
        raise KeyError(f"unknown provider {code!r}")


def load_registry(path: Path | None = None) -> Registry:
    """Read a registry file (the packaged one by default)."""
    if path is None:
        return _packaged()
    return Registry.model_validate(yamlfile.safe_load(path.read_text(encoding="utf-8")))


@cache
def _packaged() -> Registry:
    text = resources.files("taxloop.library").joinpath("hub/providers.yaml").read_text(encoding="utf-8")
    return Registry.model_validate(yamlfile.safe_load(text))
