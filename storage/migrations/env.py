"""Alembic environment: always run with a connection handed in by storage.db."""

import sqlmodel.sql.sqltypes  # noqa: F401  (migrations refer to AutoString)
from alembic import context
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `fieldbot db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=True,  # SQLite can only change a table by copying it
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
