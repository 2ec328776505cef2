"""The delivery engine: every chunk once, under its own retry key, through 409, 429, 5xx, timeouts and crashes."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from broadcast.compose import text_message
from broadcast.delivery import finish_deliveries, send_due_chunks
from broadcast.line_client import BulkLineClient
from broadcast.models import Broadcast, BroadcastStatus, ChunkStatus, DeliveryChunk
from broadcast.pacing import Pacer
from broadcast.segments import Segment
from broadcast.services import compose_broadcast, send_emergency, send_now
from broadcast.preferences import seed_areas, set_area
from broadcast.defaults import DEMO_AREAS
from tests.broadcast.conftest import EMULATOR_TOKEN, BroadcastingRecorder, Emulated, add_followers, user_id
from tests.conftest import FIXED_NOW


class CrashError(Exception):
    """Stands for the process dying between sending and committing."""


def _planned(db: sessionmaker, followers: int, *, start: int = 0) -> int:
    with db.begin() as session:
        add_followers(session, followers, start=start)
        broadcast = compose_broadcast(session, title="お知らせ", messages=[text_message("ごみ収集日の変更について")],
                                      segment=Segment(), now=FIXED_NOW)
        send_now(session, broadcast.id, now=FIXED_NOW)
        return broadcast.id


def _chunks(db: sessionmaker, broadcast_id: int) -> list[DeliveryChunk]:
    with db() as session:
        return list(session.scalars(select(DeliveryChunk).where(DeliveryChunk.broadcast_id == broadcast_id)
                                    .order_by(DeliveryChunk.seq)))


def _pass(db: sessionmaker, line: object, *, now=FIXED_NOW, limit: int = 10) -> int:
    with db.begin() as session:
        return send_due_chunks(session, line, now=now, limit=limit)


def test_every_chunk_is_sent_once_under_the_retry_key_stored_when_it_was_planned(
        db: sessionmaker, recorder: BroadcastingRecorder) -> None:
    broadcast_id = _planned(db, 1201)
    keys = [c.retry_key for c in _chunks(db, broadcast_id)]
    assert _pass(db, recorder) == 3
    assert _pass(db, recorder) == 0
    assert [call.retry_key for call in recorder.calls] == keys
    assert sorted(r for call in recorder.calls for r in call.to) == [user_id(n) for n in range(1201)]
    with db.begin() as session:
        assert finish_deliveries(session, now=FIXED_NOW) == 1
        broadcast = session.get(Broadcast, broadcast_id)
        assert (broadcast.status, broadcast.started_at, broadcast.finished_at) == (BroadcastStatus.DONE, FIXED_NOW, FIXED_NOW)


def test_an_emergency_jumps_ahead_of_chunks_already_waiting(db: sessionmaker, recorder: BroadcastingRecorder) -> None:
    _planned(db, 1000)
    with db.begin() as session:
        emergency = send_emergency(session, text="避難指示", now=FIXED_NOW)
    _pass(db, recorder, limit=1)
    assert recorder.calls[0].kind == "broadcast"
    assert recorder.calls[0].messages[0]["text"] == "【緊急】避難指示"
    assert [c.status for c in _chunks(db, emergency.id)] == [ChunkStatus.SENT]


def test_a_409_for_a_key_line_already_accepted_counts_as_delivered(db: sessionmaker, emulated: Emulated) -> None:
    broadcast_id = _planned(db, 10)
    # LINE accepts the call, then the answer is lost (a 500 after accepting).
    emulated.state.add_fault("multicast", "error_after", count=1)
    assert _pass(db, emulated.line) == 0
    [chunk] = _chunks(db, broadcast_id)
    assert (chunk.status, chunk.last_status, chunk.next_attempt_at) == (ChunkStatus.PENDING, 500, FIXED_NOW + timedelta(seconds=0.5))
    assert _pass(db, emulated.line, now=FIXED_NOW) == 0  # not due yet: nothing is sent
    assert _pass(db, emulated.line, now=FIXED_NOW + timedelta(seconds=1)) == 1
    statuses = [r["status"] for r in emulated.state.list_requests(path="/v2/bot/message/multicast")]
    assert statuses == [500, 409]
    summary = emulated.state.delivery_summary()
    assert (summary["recipients"], summary["duplicates"]) == (10, 0)
    assert _chunks(db, broadcast_id)[0].status == ChunkStatus.SENT


def test_a_500_before_accepting_is_retried_with_the_same_key(db: sessionmaker, emulated: Emulated) -> None:
    broadcast_id = _planned(db, 3)
    emulated.state.add_fault("multicast", "error_before", count=1)
    _pass(db, emulated.line)
    _pass(db, emulated.line, now=FIXED_NOW + timedelta(seconds=1))
    requests = emulated.state.list_requests(path="/v2/bot/message/multicast")
    assert [r["status"] for r in requests] == [500, 200]
    assert requests[0]["retry_key"] == requests[1]["retry_key"] == _chunks(db, broadcast_id)[0].retry_key
    assert emulated.state.delivery_summary()["deliveries"] == 3


def test_a_429_backs_off_and_the_chunk_goes_out_once_the_limit_clears(db: sessionmaker, emulated: Emulated) -> None:
    broadcast_id = _planned(db, 1000)
    emulator_now = [1_800_000_000.0]
    emulated.state.clock = lambda: emulator_now[0]
    emulated.state.rate_limits_enabled = True
    emulated.state.rate_limits["multicast"] = 1
    assert _pass(db, emulated.line) == 1
    second = _chunks(db, broadcast_id)[1]
    assert (second.status, second.last_status, second.next_attempt_at) == (
        ChunkStatus.PENDING, 429, FIXED_NOW + timedelta(seconds=1))
    emulator_now[0] += 1.0
    assert _pass(db, emulated.line, now=FIXED_NOW + timedelta(seconds=1)) == 1
    assert emulated.state.delivery_summary()["deliveries"] == 1000
    assert [c.attempts for c in _chunks(db, broadcast_id)] == [1, 2]


def test_a_timed_out_call_is_retried_with_the_same_key_and_delivered_once(db: sessionmaker, emulated: Emulated) -> None:
    broadcast_id = _planned(db, 5)
    emulated.state.sleep = time.sleep
    emulated.state.add_fault("multicast", "hang", count=1, seconds=0.6)
    impatient = BulkLineClient(access_token=EMULATOR_TOKEN, api_base=emulated.server.url, pacer=Pacer({}), timeout=0.2)
    assert _pass(db, impatient) == 0
    assert _chunks(db, broadcast_id)[0].last_status == 0  # 0: no answer at all
    assert _pass(db, impatient, now=FIXED_NOW + timedelta(seconds=1)) == 1
    deadline = time.monotonic() + 5
    while len(emulated.state.list_requests(path="/v2/bot/message/multicast")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # let the hung call finish on the emulator's side
    statuses = sorted(r["status"] for r in emulated.state.list_requests(path="/v2/bot/message/multicast"))
    assert statuses == [200, 409]
    assert emulated.state.delivery_summary()["duplicates"] == 0


def test_a_400_stops_that_chunk_and_records_why_while_the_others_go_out(db: sessionmaker, emulated: Emulated) -> None:
    broadcast_id = _planned(db, 700)
    emulated.state.add_fault("multicast", "error_before", count=1, status=400)
    assert _pass(db, emulated.line) == 1
    assert _pass(db, emulated.line, now=FIXED_NOW + timedelta(hours=1)) == 0
    first, second = _chunks(db, broadcast_id)
    assert (first.status, first.last_status, first.attempts) == (ChunkStatus.FAILED, 400, 1)
    assert "500" not in (first.error or "") and first.error
    assert second.status == ChunkStatus.SENT


def test_after_a_crash_between_sending_and_committing_delivery_resumes_without_duplicates(
        db: sessionmaker, emulated: Emulated) -> None:
    broadcast_id = _planned(db, 1500)
    with pytest.raises(CrashError), db.begin() as session:
        assert send_due_chunks(session, emulated.line, now=FIXED_NOW, limit=2) == 2
        raise CrashError  # LINE has the first two chunks; the database never hears of it
    assert [c.status for c in _chunks(db, broadcast_id)] == [ChunkStatus.PENDING] * 3
    while _pass(db, emulated.line):
        pass
    statuses = [r["status"] for r in emulated.state.list_requests(path="/v2/bot/message/multicast")]
    assert statuses == [200, 200, 409, 409, 200]
    summary = emulated.state.delivery_summary()
    assert (summary["recipients"], summary["deliveries"]) == (1500, 1500)
    assert all(c.status == ChunkStatus.SENT for c in _chunks(db, broadcast_id))


def test_the_broadcast_endpoint_reaches_every_follower_in_one_call(db: sessionmaker, emulated: Emulated) -> None:
    with db.begin() as session:
        add_followers(session, 300)
        emulated.state.add_followers(300)
        broadcast = send_emergency(session, text="大雨特別警報", now=FIXED_NOW)
    assert _pass(db, emulated.line) == 1
    assert len(emulated.state.list_requests(path="/v2/bot/message/broadcast")) == 1
    assert emulated.state.delivery_summary()["recipients"] == 300
    assert _chunks(db, broadcast.id)[0].status == ChunkStatus.SENT


def test_two_workers_on_postgresql_never_take_the_same_chunk(db: sessionmaker, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) are PostgreSQL's; SQLite has one writer at a time")
    broadcast_id = _planned(db, 1500)
    other = BroadcastingRecorder()
    seen: list[int] = []

    class SlowLine(BroadcastingRecorder):
        def multicast(self, to, messages, *, retry_key):  # type: ignore[no-untyped-def]
            if not seen:  # while this worker holds its chunk, a second worker takes a pass
                thread = threading.Thread(target=lambda: seen.append(_pass(db, other, limit=10)))
                thread.start()
                thread.join()
            super().multicast(to, messages, retry_key=retry_key)

    first = SlowLine()
    assert _pass(db, first, limit=1) == 1
    assert seen == [2]
    assert {c.retry_key for c in first.calls}.isdisjoint({c.retry_key for c in other.calls})
    assert all(c.status == ChunkStatus.SENT for c in _chunks(db, broadcast_id))


def test_an_area_emergency_goes_by_multicast_to_that_area_only(db: sessionmaker, recorder: BroadcastingRecorder) -> None:
    with db.begin() as session:
        seed_areas(session, DEMO_AREAS)
        add_followers(session, 2)
        set_area(session, user_id(1), "minato", now=FIXED_NOW)
        send_emergency(session, text="高潮警報", areas=["minato"], now=FIXED_NOW)
    _pass(db, recorder)
    assert [(c.kind, c.to) for c in recorder.calls] == [("multicast", (user_id(1),))]


def test_the_inline_worker_delivers_planned_chunks_through_the_apps_line(app, line, session_factory) -> None:  # type: ignore[no-untyped-def]
    broadcast_id = _planned(session_factory, 30)
    processor = app.extensions["madoguchi"].processor
    assert processor.deliver_broadcasts() == 1
    assert [(call.kind, len(call.to)) for call in line.calls] == [("multicast", 30)]
    assert _chunks(session_factory, broadcast_id)[0].status == ChunkStatus.SENT
    assert processor.deliver_broadcasts() == 0  # nothing left: the broadcast is marked done
    with session_factory() as session:
        assert session.get(Broadcast, broadcast_id).status == BroadcastStatus.DONE


def test_an_idle_delivery_worker_looks_less_and_less_often_and_still_sends_what_arrives(
        db: sessionmaker, recorder: BroadcastingRecorder) -> None:
    from sqlalchemy import event

    from broadcast.worker import DeliveryWorker

    looks: list[str] = []

    def count_claims(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().startswith("SELECT delivery_chunks.id"):
            looks.append(statement)

    engine = db.kw["bind"]
    event.listen(engine, "before_cursor_execute", count_claims)
    worker = DeliveryWorker(db, recorder, threads=1, idle_seconds=0.01, max_idle_seconds=0.16)
    worker.start()
    try:
        time.sleep(0.6)
        idle_looks = len(looks)
        broadcast_id = _planned(db, 1201)
        deadline = time.monotonic() + 10
        while any(c.status is ChunkStatus.PENDING for c in _chunks(db, broadcast_id)) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
        event.remove(engine, "before_cursor_execute", count_claims)
    # Sleeping 0.01 s between looks, it would have looked some sixty times; backing off to 0.16 s, about eight.
    assert 3 <= idle_looks <= 15
    assert {c.status for c in _chunks(db, broadcast_id)} == {ChunkStatus.SENT}
    assert len(recorder.calls) == 3
