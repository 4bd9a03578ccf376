"""Settings: ``TAXLOOP_*`` environment variables, an optional config file, defaults.

Precedence (highest first): keyword arguments, environment variables, the YAML file named by
``TAXLOOP_CONFIG`` (or ``taxloop.yaml`` in the working directory), defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from taxloop import yamlfile


class _YamlSource(PydanticBaseSettingsSource):
    """Read settings from a YAML file, if there is one."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("TAXLOOP_CONFIG", "taxloop.yaml"))
        if not path.is_file():
            return {}
        data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: the config file must hold a mapping of setting: value")
        return data


class Settings(BaseSettings):
    """Every tunable of the platform, with its default."""

    model_config = SettingsConfigDict(env_prefix="TAXLOOP_", extra="ignore")

    warehouse: Path = Field(Path("warehouse"), description="Analytics warehouse folder")
    analytics_backend: Literal["duckdb", "spark"] = "duckdb"
    workflow_url: str = Field("", description="SQLAlchemy URL; empty = SQLite in the warehouse folder")
    seed: int = 20261123
    review_share: float = Field(0.10, ge=0, le=1, description="Share of finished tasks sent to review")
    random_sample_share: float = Field(
        0.05, ge=0, le=1, description="Share of unflagged taxpayers drawn by stratified random sampling"
    )
    officer_capacity: int = Field(200, ge=1, description="Open tasks an officer may hold (workflow allocation)")
    push_weekly_quota: int = Field(1000, ge=1, description="Tasks pushed per region per week (push plan)")
    rotation_depth: int = Field(2, ge=0, description="An officer never gets a taxpayer whose last N tasks they had")
    audit_anchor_every: int = Field(100, ge=1, description="Audit-trail anchor every N events")
    model_share: float = Field(
        0.3, ge=0, le=1, description="Scoring: share of the model score in the blend when model_scores exists"
    )
    language: Literal["zh", "en"] = "zh"
    score_scale: float = Field(2.0, gt=0, description="Scoring: expert raw score that maps to 1-1/e on the 0..1 scale")
    score_high: float = Field(0.6, ge=0, le=1, description="Scoring: lowest score of level high / 高风险下限")
    score_medium: float = Field(0.3, ge=0, le=1, description="Scoring: lowest score of level medium / 中风险下限")
    correlation_decay: float = Field(
        0.5, ge=0, le=1, description="Scoring: factor applied to each further indicator of one correlation group"
    )
    score_rarity_reference: float = Field(
        0.01, ge=0, lt=1, description="Scoring: indicators flagging more than this share of taxpayers weigh less; 0=off"
    )
    score_calibration_prior: float = Field(
        10.0, ge=0, description="Scoring: pseudo-cases shrinking each indicator's audit lift towards 1; 0=off"
    )
    model_select_threshold: float = Field(
        0.5, ge=0, le=1, description="Scoring: model score from which an unflagged taxpayer counts as model-selected"
    )
    resolve_max_comparisons_per_record: float = Field(
        10.0,
        ge=0,
        description="Resolve: refuse when a blocking rule makes > records × N comparisons (floor 100,000); 0=off",
    )
    internal_control: bool = Field(
        True, description="Run the integrity rules on power-matter steps before they commit (block / remind)"
    )
    secret_key: str = "change-me-in-production-this-is-not-a-secret"
    spark_master: str = "local[2]"
    memory_limit: str = Field("", description="DuckDB memory_limit, e.g. '12GB'; empty = DuckDB default")
    threads: int = 0
    plan_cache: str = Field(
        "", description="Folder of planned pruned scans (scan --indicators); empty = ~/.cache/taxloop/plans; 'off'"
    )
    smtp_host: str = Field("", description="SMTP server of the e-tax mail gateway; empty = spool email to a file")
    smtp_port: int = 25
    smtp_from: str = "noreply@etax.local"
    etax_mail_domain: str = Field("etax.local", description="Notices are mailed to <tin>@<domain>")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls))

    def resolved_workflow_url(self) -> str:
        """The workflow-store URL: the configured one or SQLite beside the warehouse."""
        if self.workflow_url:
            return self.workflow_url
        return f"sqlite:///{(self.warehouse / 'workflow.sqlite').resolve()}"
