"""Session fixture: one warehouse holding a normal world and one world per indicator test case.

Each world is a small city whose target firm was bent by one case (see ``cases_*.py``); the whole
library is compiled and run once over the warehouse and each test checks its own world's target.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from case_helpers import Mutation  # noqa: E402
from indicator_city import City  # noqa: E402
from indicator_warehouse import build_warehouse  # noqa: E402

from taxloop.rules.compile import compile_rule  # noqa: E402
from taxloop.rules.spec import RuleSpec, load_rules  # noqa: E402

LIBRARY = HERE.parents[2] / "src" / "taxloop" / "library" / "indicators"


def all_cases() -> dict[str, tuple[Mutation, Mutation]]:
    """Every (fires, quiet) case from the ``cases_*.py`` modules, by indicator code."""
    cases: dict[str, tuple[Mutation, Mutation]] = {}
    for path in sorted(HERE.glob("cases_*.py")):
        module = importlib.import_module(path.stem)
        for code, pair in module.CASES.items():
            assert code not in cases, f"{path.name}: case for {code} defined twice"
            cases[code] = pair
    return cases


@dataclass
class LibraryRun:
    """The result of running the library over every world."""

    specs: dict[str, RuleSpec]
    worlds: dict[tuple[str, str], City]
    normal: City
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    columns: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    warehouse: Path | None = None  # where the worlds and their full feature tables are

    def subjects(self, code: str) -> set[str]:
        """Subject ids the rule ``code`` fired on."""
        return {str(r["subject_id"]) for r in self.rows.get(code, [])}


@pytest.fixture(scope="session")
def library_specs() -> dict[str, RuleSpec]:
    """The packaged indicator library by code (this area's categories; ``network`` rules are tested elsewhere)."""
    return {s.code: s for s in load_rules(LIBRARY) if s.category != "network"}


@pytest.fixture(scope="session")
def library_run(library_specs: dict[str, RuleSpec], tmp_path_factory: pytest.TempPathFactory) -> LibraryRun:
    """Build the worlds, the features, and run every rule once."""
    cases = all_cases()
    normal = City(0)
    worlds: dict[tuple[str, str], City] = {}
    index = 1
    for code in sorted(cases):
        for kind, mutate in zip(("fires", "quiet"), cases[code], strict=True):
            city = City(index)
            mutate(city)
            worlds[(code, kind)] = city
            index += 1
    root = tmp_path_factory.mktemp("indicator_worlds")
    backend = build_warehouse([normal, *worlds.values()], root)
    run = LibraryRun(specs=library_specs, worlds=worlds, normal=normal, warehouse=root)
    try:
        for code, spec in library_specs.items():
            try:
                table = backend.query(compile_rule(spec, "duckdb"))
            except Exception as exc:  # recorded per rule so one broken file fails only its own tests
                run.errors[code] = str(exc)
                continue
            run.columns[code] = table.column_names
            run.rows[code] = table.to_pylist()
    finally:
        backend.close()
    return run
