"""Alembic environment of the workflow store: runs on the connection handed in by ``taxloop.workflow.store``."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from taxloop.workflow.tables import metadata

config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("workflow migrations need a connection or sqlalchemy.url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
