"""SIGTERM (systemd stop, a deploy) lets the real processes finish what they hold before exiting 0.

`madoguchi worker`: an event whose LINE call hangs is in hand when SIGTERM comes; the process must
finish it — inbox row done, the answer received by LINE (the emulator) — and exit 0 in time.
`madoguchi serve`: a webhook waiting on the database when SIGTERM comes still gets its 200.
Both run as subprocesses, as in production; LINE is the emulator, served from this process.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bench.webhook_load import _free_port, signed_body
from core.inbox import store_events
from core.models import InboxEvent, InboxStatus
from emulator.app import EmulatorConfig, create_app as create_emulator
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET, FIXED_NOW, ServerThread

ROOT = Path(__file__).resolve().parents[2]
USER = "U" + "5" * 32
HANG_SECONDS = 3.0
# What a deploy gives the process before SIGKILL is far longer (TimeoutStopSec=60); this only keeps
# a broken shutdown from hanging the suite.
EXIT_WITHIN_SECONDS = 20.0


@pytest.fixture
def emulator() -> Iterator[str]:
    """The LINE emulator on a free port, accepting the reply tokens of events the test stored itself."""
    server = ServerThread(create_emulator(EmulatorConfig(channel_secret=CHANNEL_SECRET,
                                                         channel_access_token=ACCESS_TOKEN)))
    requests.post(f"{server.url}/_emulator/config", json={"accept_any_reply_token": True}, timeout=5).raise_for_status()
    yield server.url
    server.stop()


def _env(database_url: str, emulator_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": ACCESS_TOKEN, "SECRET_KEY": "test-secret-key-" + "x" * 32,
            "LINE_API_BASE": emulator_url, "LINE_DATA_API_BASE": emulator_url, "MADOGUCHI_INLINE_WORKER": "0",
            "MADOGUCHI_WEB_WORKERS": "1", "PYTHONUNBUFFERED": "1"}


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as out:  # a file, not a pipe: a chatty process must never block on a full pipe
        return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _event(kind: str, number: int, *, user: str = USER) -> dict:
    event = {"mode": "active", "timestamp": int(FIXED_NOW.timestamp() * 1000),
             "source": {"type": "user", "userId": user}, "webhookEventId": f"01GRACEFUL{number:016d}",
             "deliveryContext": {"isRedelivery": False}, "replyToken": f"gracefulreply{number:019d}", "type": kind}
    if kind == "message":
        event["message"] = {"id": str(800000000000000000 + number), "type": "text", "text": "ごみの出し方",
                            "quoteToken": f"q{number:019d}"}
    else:
        event["follow"] = {"isUnblocked": False}
    return event


def _wait_until(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _faults(emulator_url: str) -> list[dict]:
    return requests.get(f"{emulator_url}/_emulator/faults", timeout=5).json()


def _replies(emulator_url: str) -> list[dict]:
    return requests.get(f"{emulator_url}/_emulator/requests", params={"path": "/v2/bot/message/reply"},
                        timeout=5).json()


def _kill_if_running(process: subprocess.Popen) -> None:
    """Leave no process behind when a test fails half-way."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def _stop_and_wait(process: subprocess.Popen, log: Path, *, within: float = EXIT_WITHIN_SECONDS) -> tuple[int, float]:
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(within)
    except subprocess.TimeoutExpired:
        _kill_if_running(process)
        pytest.fail(f"no exit within {within} s of SIGTERM:\n{log.read_text(errors='replace')[-3000:]}")
    return code, time.monotonic() - signalled


# The endpoint that hangs decides where the event is when SIGTERM comes: a message's reply is sent
# after its transaction committed; a follow's profile is read inside the transaction (row locked).
@pytest.mark.parametrize(("kind", "hanging"), [("message", "reply"), ("follow", "profile")])
def test_worker_finishes_the_event_in_hand_on_sigterm_and_exits_0(
        kind: str, hanging: str, database_url: str, session_factory: sessionmaker, seeded_faq: None,
        emulator: str, tmp_path: Path) -> None:
    requests.post(f"{emulator}/_emulator/faults", json={"endpoint": hanging, "mode": "hang",
                                                        "seconds": HANG_SECONDS, "count": 1},
                  timeout=5).raise_for_status()
    event = _event(kind, 1)
    with session_factory.begin() as session:
        store_events(session, [event], now=FIXED_NOW)
    log = tmp_path / "worker.log"
    worker = _spawn(["worker"], _env(database_url, emulator), log)
    try:
        # The fault is used up the moment the worker's call reaches LINE: from then on it is in hand.
        try:
            _wait_until(lambda: not _faults(emulator), 60, f"the worker's {hanging} call")
        except AssertionError as exc:
            pytest.fail(f"{exc}:\n{log.read_text(errors='replace')[-3000:]}")
        assert worker.poll() is None
        code, took = _stop_and_wait(worker, log)
    finally:
        _kill_if_running(worker)
    output = log.read_text(errors="replace")
    assert code == 0, output[-3000:]
    assert took >= HANG_SECONDS / 3, f"exited {took:.1f} s after SIGTERM: did not wait for the call in flight"
    with session_factory() as session:
        row = session.scalars(select(InboxEvent).where(InboxEvent.webhook_event_id == event["webhookEventId"])).one()
        assert row.status == InboxStatus.DONE and row.attempts == 1
    replies = [r for r in _replies(emulator) if r["body"]["replyToken"] == event["replyToken"]]
    assert [r["status"] for r in replies] == [200]
    assert "worker stopping" in output and "Traceback" not in output


def test_worker_waits_for_a_batch_that_takes_longer_than_ten_seconds(
        database_url: str, session_factory: sessionmaker, seeded_faq: None, emulator: str, tmp_path: Path) -> None:
    # Two follows claimed in one batch; each reads its citizen's profile inside the batch's
    # transaction, and each read hangs 6 s: the batch commits 12 s after SIGTERM, and only then
    # are its replies sent. Stopping must not give up on it half-way.
    requests.post(f"{emulator}/_emulator/faults", json={"endpoint": "profile", "mode": "hang", "seconds": 6,
                                                        "count": 2}, timeout=5).raise_for_status()
    events = [_event("follow", 3, user="U" + "6" * 32), _event("follow", 4, user="U" + "7" * 32)]
    with session_factory.begin() as session:
        store_events(session, events, now=FIXED_NOW)
    log = tmp_path / "worker.log"
    worker = _spawn(["worker"], _env(database_url, emulator), log)
    try:
        _wait_until(lambda: [f["count"] for f in _faults(emulator)] == [1], 60, "the worker's first profile call")
        code, took = _stop_and_wait(worker, log, within=40)
    finally:
        _kill_if_running(worker)
    output = log.read_text(errors="replace")
    assert code == 0, output[-3000:]
    with session_factory() as session:
        statuses = session.scalars(select(InboxEvent.status).order_by(InboxEvent.id)).all()
    replied = {r["body"]["replyToken"] for r in _replies(emulator) if r["status"] == 200}
    # Both or neither: a row marked done whose reply was never sent is an answer lost for good.
    assert statuses == [InboxStatus.DONE, InboxStatus.DONE], output[-3000:]
    assert replied == {e["replyToken"] for e in events}, f"exited after {took:.1f} s; replies lost:\n{output[-3000:]}"


def test_serve_finishes_a_webhook_in_flight_on_sigterm_and_exits_0(
        tmp_path: Path, emulator: str, request: pytest.FixtureRequest) -> None:
    # SQLite lets the test hold the database's write lock, so the webhook is reliably mid-request
    # (waiting on the lock) when SIGTERM comes; the PostgreSQL run is the same code path.
    database = tmp_path / "serve.db"
    database.write_bytes(Path(request.getfixturevalue("_sqlite_template")).read_bytes())
    database_url = f"sqlite:///{database}"
    port = _free_port()
    log = tmp_path / "serve.log"
    serve = _spawn(["serve", "--port", str(port)], _env(database_url, emulator), log)
    blocker = sqlite3.connect(database, isolation_level=None)
    try:
        _wait_until(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 60, "madoguchi serve")
        event = _event("message", 2)
        raw, signature = signed_body(event, CHANNEL_SECRET)
        blocker.execute("BEGIN IMMEDIATE")  # the webhook's insert now waits (busy_timeout 30 s)
        result: dict[str, object] = {}
        poster = _post_in_background(port, raw, signature, result)
        time.sleep(1.0)  # the request is in gunicorn's hands, blocked on the lock
        assert "status" not in result
        serve.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        blocker.execute("COMMIT")  # let it through after SIGTERM
        poster.join(EXIT_WITHIN_SECONDS)
        code, _ = _stop_and_wait(serve, log)
    finally:
        blocker.close()
        _kill_if_running(serve)
    output = log.read_text(errors="replace")
    assert result.get("status") == 200, output[-3000:]
    assert code == 0, output[-3000:]
    stored = sqlite3.connect(database).execute("SELECT count(*) FROM webhook_inbox WHERE webhook_event_id = ?",
                                               (event["webhookEventId"],)).fetchone()[0]
    assert stored == 1


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _post_in_background(port: int, raw: bytes, signature: str, result: dict[str, object]) -> threading.Thread:
    def post() -> None:
        try:
            response = requests.post(f"http://127.0.0.1:{port}/callback", data=raw, timeout=EXIT_WITHIN_SECONDS,
                                     headers={"Content-Type": "application/json", "X-Line-Signature": signature})
            result["status"] = response.status_code
        except requests.RequestException as exc:
            result["error"] = type(exc).__name__

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread
