"""Load and lint the packaged indicator library (or any folder of rule files).

Loading picks rules by status, subject and code; linting reads every file on its own so that one
bad file does not hide the others, and checks that each rule compiles for DuckDB and for Spark.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from taxloop.rules.compile import RuleCompileError, compile_rule, resolve_params
from taxloop.rules.spec import RuleFileError, RuleSpec, load_rule, load_rules

KNOWN_SCHEMES = (
    "fake_invoicing_source",
    "pass_through",
    "invoice_recipient",
    "under_reported_sales",
    "zero_declaration_trading",
    "non_filer",
    "payroll_under_withholding",
    "land_use_evasion",
    "property_under_declared",
    "inflated_costs",
    "rnd_abuse",
    "arrears",
)


def library_root(kind: str = "indicators") -> Path:
    """Folder of the packaged library (``indicators`` or ``integrity``)."""
    return Path(__file__).resolve().parents[1] / "library" / kind


def select_rules(
    specs: Iterable[RuleSpec],
    statuses: Sequence[str] = ("active",),
    codes: Sequence[str] | None = None,
    subject: str | None = "taxpayer",
    categories: Sequence[str] | None = None,
) -> list[RuleSpec]:
    """Filter rules; ``codes`` wins over ``statuses`` (a named draft rule still runs). Unknown codes raise."""
    specs = list(specs)
    if codes:
        wanted = [c.strip().upper() for c in codes if c.strip()]
        by_code = {s.code: s for s in specs}
        unknown = [c for c in wanted if c not in by_code]
        if unknown:
            raise RuleFileError(f"unknown indicator codes / 未知指标代码: {', '.join(unknown)}")
        chosen = [by_code[c] for c in wanted]
    else:
        chosen = [s for s in specs if s.status in statuses]
    if subject:
        chosen = [s for s in chosen if s.subject == subject]
    if categories:
        chosen = [s for s in chosen if s.category in categories]
    return sorted(chosen, key=lambda s: s.code)


def load_library(
    folder: Path | None = None,
    statuses: Sequence[str] = ("active",),
    codes: Sequence[str] | None = None,
    subject: str | None = "taxpayer",
) -> list[RuleSpec]:
    """Read a rule folder (default: the packaged indicators) and keep the selected rules."""
    root = folder or library_root()
    if not root.is_dir():
        raise RuleFileError(f"{root}: rule folder not found / 指标目录不存在")
    return select_rules(load_rules(root), statuses=statuses, codes=codes, subject=subject)


@dataclass(frozen=True)
class LintIssue:
    """One problem found in one rule file."""

    path: str
    code: str
    level: str  # "error" or "warning"
    message: str


def _lint_spec(spec: RuleSpec, path: Path, known_tables: set[str] | None) -> list[LintIssue]:
    issues: list[LintIssue] = []

    def add(level: str, message: str) -> None:
        issues.append(LintIssue(str(path), spec.code, level, message))

    variants = [spec.defaults()]
    variants += [resolve_params(spec, ov.region_code, ov.industry_prefix) for ov in spec.overrides]
    for ov in spec.overrides:
        extra = set(ov.params) - set(spec.params)
        if extra:
            add("error", f"override sets undeclared parameters {sorted(extra)}")
        if not ov.region_code and not ov.industry_prefix:
            add("error", "override names neither region_code nor industry_prefix")
    for dialect in ("duckdb", "spark"):
        for params in variants:
            try:
                compile_rule(spec, dialect, params)
            except (RuleCompileError, ValueError) as exc:
                add("error", f"does not compile for {dialect}: {exc}")
                break
    unknown = [s for s in spec.schemes if s not in KNOWN_SCHEMES]
    if unknown:
        add("warning", f"unknown scheme codes {unknown}")
    if spec.subject == "taxpayer" and not spec.schemes:
        add("warning", "no target schemes listed (schemes:)")
    if known_tables is not None:
        missing = [t for t in spec.tables if t not in known_tables]
        if missing:
            add("warning", f"tables not in the warehouse: {missing}")
    return issues


def lint_library(folder: Path | None = None, known_tables: set[str] | None = None) -> list[LintIssue]:
    """Validate every rule file under ``folder``: schema, duplicate codes, compile for DuckDB and Spark."""
    root = folder or library_root()
    issues: list[LintIssue] = []
    seen: dict[str, str] = {}
    for path in sorted(root.rglob("*.yaml")):
        try:
            spec = load_rule(path)
        except RuleFileError as exc:
            issues.append(LintIssue(str(path), path.stem, "error", str(exc)))
            continue
        if spec.code in seen:
            issues.append(LintIssue(str(path), spec.code, "error", f"code already used by {seen[spec.code]}"))
        seen[spec.code] = str(path)
        if path.parent.name != spec.category and path.parent != root:
            issues.append(LintIssue(str(path), spec.code, "warning", f"folder is not the category {spec.category}"))
        issues.extend(_lint_spec(spec, path, known_tables))
    return issues
