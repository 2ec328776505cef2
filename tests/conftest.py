"""Fixtures shared by the whole suite: databases (SQLite, and PostgreSQL when configured), the app, LINE."""
from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import sessionmaker
import requests
from werkzeug.serving import make_server

from bot.app import create_app
from emulator.app import EmulatorConfig, create_app as create_emulator
from bot.migrate import private_postgres_database, seed_defaults, upgrade
from core.config import Settings
from core.db import Base, make_engine, make_session_factory
from core.line_gateway import RecordingLineGateway
from faq.corpus_csv import read_csv
from faq.services import import_rows
from tests.webhook_events import WebhookPoster

POSTGRES_URL = os.environ.get("MADOGUCHI_TEST_POSTGRES_URL", "").strip()
DATA = Path(__file__).resolve().parent / "data"
TEST_CORPUS = DATA / "test_faq.csv"
CHANNEL_SECRET = "test-channel-secret"
ACCESS_TOKEN = "test-access-token"
FIXED_NOW = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _recreate_postgres_schema(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


@pytest.fixture(scope="session")
def _postgres_migrated() -> Iterator[str]:
    """A PostgreSQL database of this test run's own, migrated once, dropped at the end.

    Its own database, so that two runs on one server (two developers, CI and a developer) never
    truncate each other's tables.
    """
    name = f"{make_url(POSTGRES_URL).database}_run_{os.getpid()}"
    with private_postgres_database(POSTGRES_URL, name) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database test runs on SQLite, and again on PostgreSQL when MADOGUCHI_TEST_POSTGRES_URL is set."""
    if request.param == "sqlite":
        path = tmp_path / "madoguchi.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL run skipped: MADOGUCHI_TEST_POSTGRES_URL is not set")
    url = request.getfixturevalue("_postgres_migrated")
    _empty_postgres(url)
    return url


def _empty_postgres(url: str) -> None:
    """Empty every table; if a test dropped one (migration and failure tests do), rebuild the schema.

    Tables that are not the schema's go: the scheduler's job store creates its own when it starts, and
    left behind it would be in the next test's database (a migration test going down to nothing).
    """
    engine = make_engine(url)
    ours = {table.name for table in Base.metadata.sorted_tables} | {"alembic_version"}
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    try:
        with engine.begin() as connection:
            present = connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars()
            for stray in sorted(set(present) - ours):
                connection.execute(text(f'DROP TABLE "{stray}" CASCADE'))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        seed_defaults(url)  # what `madoguchi db upgrade` leaves in a new database
    except ProgrammingError:
        _recreate_postgres_schema(url)
    finally:
        engine.dispose()


@pytest.fixture
def session_factory(database_url: str) -> Iterator[sessionmaker]:
    """Sessions on the test database."""
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def seeded_faq(session_factory: sessionmaker) -> None:
    """The small test corpus (tests/data/test_faq.csv), imported."""
    with session_factory.begin() as session:
        import_rows(session, read_csv(TEST_CORPUS), staff="test", now=FIXED_NOW)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for a test app; LINE is the recording fake unless a test wires the emulator."""
    return Settings(database_url=database_url, line_channel_secret=CHANNEL_SECRET,
                    line_channel_access_token=ACCESS_TOKEN, secret_key="test-secret-key",
                    line_api_base="http://127.0.0.1:9", line_data_api_base="http://127.0.0.1:9",
                    inline_worker=False, admin_secure_cookies=False)


@pytest.fixture
def line() -> RecordingLineGateway:
    """A LINE that records what would have been sent."""
    return RecordingLineGateway()


class TestClock:
    """A clock tests move by hand (inject `now`, never patch time)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> TestClock:
    """The app's clock, starting at FIXED_NOW."""
    return TestClock(FIXED_NOW)


@pytest.fixture
def app(settings: Settings, line: RecordingLineGateway, seeded_faq: None, clock: TestClock) -> Iterator[Flask]:
    """Madoguchi with the test corpus and the recording LINE; events are processed when a test drains."""
    application = create_app(settings, line=line, clock=clock, start_worker=False)
    yield application
    application.extensions["madoguchi"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An HTTP client for the app."""
    return app.test_client()


@pytest.fixture
def webhook(client: FlaskClient, app: Flask) -> WebhookPoster:
    """Posts signed webhook bodies like LINE does and drains the inbox."""
    return WebhookPoster(client, CHANNEL_SECRET, app.extensions["madoguchi"].processor)


class ServerThread:
    """A WSGI app served on a free local port in a thread (the emulator, or Madoguchi itself)."""

    def __init__(self, wsgi_app: object) -> None:
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()


@dataclass
class LiveStack:
    """Madoguchi and the emulator, each served on its own port and pointed at each other."""

    madoguchi: ServerThread
    emulator: ServerThread
    app: Flask

    def say(self, user_id: str, **payload: object) -> dict:
        """Have a citizen do something on LINE (text, postback, follow…); returns the emulator's answer."""
        response = requests.post(f"{self.emulator.url}/_emulator/say", json={"user_id": user_id, **payload}, timeout=10)
        response.raise_for_status()
        return response.json()

    def recorded(self, path: str) -> list[dict]:
        """The calls the emulator received on one Messaging API path."""
        return requests.get(f"{self.emulator.url}/_emulator/requests", params={"path": path}, timeout=5).json()

    def wait_for(self, path: str, count: int, timeout: float = 5.0) -> list[dict]:
        """Poll until the emulator has `count` calls on `path` (or the timeout passes)."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.recorded(path)
            if len(calls) >= count or time.monotonic() > deadline:
                return calls
            time.sleep(0.05)


@pytest.fixture
def stack(settings: Settings, seeded_faq: None) -> Iterator[LiveStack]:
    """Madoguchi (inline worker on, LINE through the SDK) and the emulator, over real HTTP."""
    emulator = ServerThread(create_emulator(EmulatorConfig(channel_secret=CHANNEL_SECRET,
                                                           channel_access_token=ACCESS_TOKEN)))
    app = create_app(settings.with_changes(line_api_base=emulator.url, line_data_api_base=emulator.url,
                                           inline_worker=True))
    madoguchi = ServerThread(app)
    requests.post(f"{emulator.url}/_emulator/config", json={"webhook_url": madoguchi.url + "/callback"}, timeout=5)
    yield LiveStack(madoguchi, emulator, app)
    madoguchi.stop()
    app.extensions["madoguchi"].worker.stop()
    app.extensions["madoguchi"].engine.dispose()
    emulator.stop()
