"""Fixtures for broadcast tests: followers in the database, a LINE that can also broadcast, the emulator."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from broadcast.line_client import BulkLineClient
from broadcast.pacing import Pacer
from core.line_gateway import MAX_MESSAGES_PER_CALL, RecordingLineGateway, SentCall
from core.models import LineUser
from emulator.app import EmulatorConfig, create_app as create_emulator
from emulator.state import EmulatorState, state_of
from tests.conftest import FIXED_NOW, ServerThread

EMULATOR_TOKEN = "broadcast-test-token"


def user_id(number: int) -> str:
    """The LINE id of test follower `number` (the emulator's /followers uses the same shape)."""
    return f"U{number:032x}"


def add_followers(session: Session, count: int, *, start: int = 0, followed_at: datetime = FIXED_NOW,
                  blocked: Sequence[int] = ()) -> list[str]:
    """Insert followers U…0, U…1, …; those in `blocked` have blocked the account."""
    rows = [{"line_user_id": user_id(n), "first_seen_at": followed_at, "followed_at": followed_at,
             "blocked_at": followed_at + timedelta(days=1) if n in blocked else None}
            for n in range(start, start + count)]
    session.execute(insert(LineUser), rows)
    return [row["line_user_id"] for row in rows]


@dataclass
class BroadcastingRecorder(RecordingLineGateway):
    """The recording LINE fake, plus LINE's broadcast endpoint."""

    def broadcast(self, messages: Sequence[dict], *, retry_key: str) -> None:
        if not 1 <= len(messages) <= MAX_MESSAGES_PER_CALL:
            raise ValueError(f"LINE takes 1..{MAX_MESSAGES_PER_CALL} messages a call")
        self.calls.append(SentCall("broadcast", (), tuple(messages), retry_key=retry_key))


@pytest.fixture
def recorder() -> BroadcastingRecorder:
    return BroadcastingRecorder()


@dataclass
class Emulated:
    """The LINE emulator on a local port, its state, and a paced client talking to it."""

    server: ServerThread
    state: EmulatorState
    line: BulkLineClient


@pytest.fixture
def emulated() -> Iterator[Emulated]:
    app = create_emulator(EmulatorConfig(channel_secret="s", channel_access_token=EMULATOR_TOKEN))
    server = ServerThread(app)
    state = state_of(app)
    state.sleep = lambda seconds: None  # hangs return at once: tests never wait
    # No pacing in tests: rate limits are exercised by the emulator's own 429s.
    line = BulkLineClient(access_token=EMULATOR_TOKEN, api_base=server.url, pacer=Pacer({}, clock=lambda: 0.0),
                          timeout=5.0)
    yield Emulated(server, state, line)
    server.stop()


@pytest.fixture
def db(session_factory: sessionmaker) -> sessionmaker:
    """The session factory, for tests that read better with a short name."""
    return session_factory
