"""The database: engine, session factory and the declarative Base every package's tables use."""
from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that Alembic migrations name things the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_Statement = TypeVar("_Statement")
# Each supported database's INSERT, which (unlike the generic one) has ON CONFLICT.
_DIALECT_INSERTS: dict[str, Callable[..., Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def per_dialect(build: Callable[[Callable[..., Any]], _Statement]) -> dict[str, _Statement]:
    """A statement built once for each supported database from that database's INSERT, keyed by
    dialect name: look it up with `connection.dialect.name` and bind the values at execution."""
    return {name: build(insert) for name, insert in _DIALECT_INSERTS.items()}


class Base(DeclarativeBase):
    """Base class of every Madoguchi table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zones and returns naive datetimes; comparing those with aware ones raises.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def value_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """An enum column that stores each member's value as a plain string.

    Not a native PostgreSQL enum: there every new value would need a migration of its own.
    """
    return Enum(enum_class, name=name, native_enum=False, length=32,
                values_callable=lambda members: [m.value for m in members])


# A PostgreSQL that stops answering (its host down, the network cut) must fail a request in seconds,
# not hold it: by default libpq waits for a new connection as long as the kernel keeps retrying (about
# two minutes), and a pooled connection's pre-ping to a dead host waits out TCP's retransmissions
# (about fifteen). Meanwhile the webhook blocks past LINE's timeout and every gunicorn thread fills up,
# /readyz included. libpq's minimum connect timeout is 2 s.
CONNECT_TIMEOUT_SECONDS = 2
TCP_USER_TIMEOUT_MS = 5000


def make_engine(database_url: str) -> Engine:
    """An engine for SQLite (WAL, foreign keys on) or PostgreSQL (psycopg 3, pre-ping, bounded waits)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                         connect_args=postgres_connect_args(url.query))


def postgres_connect_args(query: Mapping[str, object]) -> dict[str, int]:
    """libpq's time limits, unless the URL sets its own (`?connect_timeout=10`)."""
    # tcp_user_timeout: how long sent data may stay unacknowledged before the connection is
    # declared dead; a slow query sends nothing meanwhile, so it is not cut short.
    defaults = {"connect_timeout": CONNECT_TIMEOUT_SECONDS, "tcp_user_timeout": TCP_USER_TIMEOUT_MS}
    return {name: value for name, value in defaults.items() if name not in query}


def _sqlite_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # Threads of one process share the file (web handler, inline worker, scheduler);
    # the 30 s busy timeout makes writers wait for each other instead of failing.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        # A deferred transaction that reads and then writes fails at once with "database is
        # locked" when another thread wrote in between; taking the write lock up front makes
        # it wait its turn (busy_timeout) instead. Transactions are short, so this costs little.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded objects usable after commit (entry points read them afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)
