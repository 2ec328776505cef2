"""Schema migrations with Alembic, run from code (`madoguchi db upgrade`) rather than an alembic.ini."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, make_url, select, text

from broadcast.defaults import DEFAULT_CATEGORIES
from broadcast.models import DeliveryCategory
from broadcast.preferences import seed_categories
from core.db import make_engine, make_session_factory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic Config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs may carry %-escaped passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database up to `revision`, then fill what an empty database needs."""
    command.upgrade(alembic_config(database_url), revision)
    if revision in ("head", "heads"):
        seed_defaults(database_url)


def seed_defaults(database_url: str) -> None:
    """Give a city without delivery categories the default ones (a city's own are never touched)."""
    engine = make_engine(database_url)
    with make_session_factory(engine).begin() as session:
        if session.scalar(select(DeliveryCategory.id).limit(1)) is None:
            seed_categories(session, DEFAULT_CATEGORIES)
    engine.dispose()


def downgrade(database_url: str, revision: str) -> None:
    """Take the database back down to `revision` ("base" drops everything)."""
    command.downgrade(alembic_config(database_url), revision)


def current(database_url: str) -> None:
    """Print the database's revision."""
    command.current(alembic_config(database_url))


@contextmanager
def private_postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database `name` on the server of `server_url`, dropped afterwards.

    For runs that must not share tables with another run on the same server (the test suite, the
    fuzz benchmarks): yields the new database's URL.
    """
    server = make_url(server_url)
    admin = create_engine(server.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            yield url
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
