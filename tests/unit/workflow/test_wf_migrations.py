"""The Alembic migrations build exactly the tables of ``taxloop.workflow.tables`` and can go down and up again."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from taxloop.workflow.store import make_engine, migrate
from taxloop.workflow.tables import metadata


def _wf_diffs(engine: sa.Engine) -> list[object]:
    with engine.connect() as con:
        diffs = compare_metadata(MigrationContext.configure(con), metadata)
    return [d for d in diffs if "wf_" in repr(d)]


def test_migrations_match_tables_and_round_trip(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    migrate(engine)
    assert _wf_diffs(engine) == []
    names = set(sa.inspect(engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables if t.name.startswith("wf_")} <= names
    from alembic import command

    from taxloop.workflow.store import alembic_config

    cfg = alembic_config()
    with engine.begin() as con:
        cfg.attributes["connection"] = con
        command.downgrade(cfg, "base")
    assert not any(n.startswith("wf_") for n in sa.inspect(engine).get_table_names())
    migrate(engine)
    assert _wf_diffs(engine) == []
    engine.dispose()
