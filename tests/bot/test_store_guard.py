"""A hanging database gets fast 503s from the webhook, not a pile of requests waiting on it."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine

from bot.store_guard import StoreGuard
from tests.conftest import CHANNEL_SECRET
from tests.webhook_events import WebhookPoster, text_event


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_guard_trips_only_while_a_store_has_waited_too_long_and_clears_when_it_ends() -> None:
    clock = FakeClock()
    guard = StoreGuard(stuck_after=1.0, clock=clock)
    assert not guard.is_stuck()
    with guard.storing():
        clock.now += 0.5
        assert not guard.is_stuck()  # an ordinary store
        clock.now += 1.0
        assert guard.is_stuck()
    assert not guard.is_stuck()  # it finished: the database answers again


def test_a_store_that_fails_also_clears_the_guard() -> None:
    clock = FakeClock()
    guard = StoreGuard(stuck_after=1.0, clock=clock)
    with pytest.raises(RuntimeError), guard.storing():
        clock.now += 5
        raise RuntimeError("database error")
    assert not guard.is_stuck()


def test_while_a_store_hangs_on_the_database_other_webhooks_get_a_fast_503(app, database_url) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock stands in for a hanging database")
    blocker = create_engine(database_url).raw_connection()
    blocker.isolation_level = None
    blocker.execute("BEGIN IMMEDIATE")  # every insert now waits (busy timeout 30 s)
    first: dict[str, int] = {}

    def post_first() -> None:
        first["status"] = WebhookPoster(app.test_client(), CHANNEL_SECRET, None).post(text_event("住民票")).status_code

    waiting = threading.Thread(target=post_first)
    waiting.start()
    try:
        time.sleep(1.3)  # the first webhook has waited more than a second
        started = time.monotonic()
        refused = WebhookPoster(app.test_client(), CHANNEL_SECRET, None).post(text_event("粗大ごみ"))
        # Without the guard it would wait out SQLite's 30 s busy timeout behind the lock; with it, the
        # refusal is immediate (well under a second; the bound leaves room for a loaded CI machine).
        assert refused.status_code == 503 and time.monotonic() - started < 5
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        waiting.join(30)
    assert first["status"] == 200  # the one that waited is stored and acknowledged
    assert WebhookPoster(app.test_client(), CHANNEL_SECRET, None).post(text_event("ごみの日")).status_code == 200


def test_readyz_says_not_ready_at_once_while_a_store_hangs(app, client) -> None:
    clock = FakeClock()
    guard = StoreGuard(stuck_after=1.0, clock=clock)
    app.extensions["madoguchi"].store_guard = guard
    with guard.storing():
        clock.now += 2
        response = client.get("/readyz")
        assert response.status_code == 503 and response.get_json()["database"] == "not answering"
    assert client.get("/readyz").status_code == 200
