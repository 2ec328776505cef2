"""Alembic environment: the database URL comes from the caller (bot.migrate), the tables from every package."""
from __future__ import annotations

from alembic import context

import admin.models  # noqa: F401
import broadcast.models  # noqa: F401
import core.conversation  # noqa: F401
import core.models  # noqa: F401  (registers tables on Base.metadata)
import faq.models  # noqa: F401
import inquiries.models  # noqa: F401
import reports.models  # noqa: F401
from core.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (alembic --sql)."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on a live connection (given by the caller, or made from the URL)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # Batch mode lets SQLite alter tables (it rebuilds them); PostgreSQL alters in place.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
