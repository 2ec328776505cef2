"""Staff actions: compose, preview, test-send, send once however often pressed, schedule, cancel, report."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from broadcast.compose import ComposeError, image_message, text_message
from broadcast.delivery import finish_deliveries, send_due_chunks
from broadcast.models import Broadcast, BroadcastStatus, DeliveryChunk
from broadcast.recurrence import RecurrenceError
from broadcast.reports import delivery_report, reports_csv
from broadcast.segments import Segment, SegmentError
from broadcast.services import (BroadcastError, cancel, compose_broadcast, fire_scheduled, preview, schedule,
                                send_now, send_test)
from tests.broadcast.conftest import BroadcastingRecorder, add_followers
from tests.conftest import FIXED_NOW


def _draft(session, segment: Segment = Segment()) -> int:
    return compose_broadcast(session, title="秋祭り", messages=[text_message("秋祭りを開催します")], segment=segment,
                             created_by="広報課", now=FIXED_NOW).id


def test_compose_refuses_an_image_that_is_not_https_and_saves_nothing(db: sessionmaker) -> None:
    with db.begin() as session:
        with pytest.raises(ComposeError, match="https"):
            compose_broadcast(session, title="写真", messages=[image_message("http://city.example.jp/a.jpg")],
                              segment=Segment(), now=FIXED_NOW)
        assert session.scalar(select(func.count()).select_from(Broadcast)) == 0


def test_compose_refuses_an_area_the_city_does_not_have(db: sessionmaker) -> None:
    with db.begin() as session, pytest.raises(SegmentError, match="atlantis"):
        _draft(session, Segment(areas=frozenset({"atlantis"})))


def test_preview_shows_the_segment_and_its_size_before_sending(db: sessionmaker) -> None:
    with db.begin() as session:
        add_followers(session, 42)
        shown = preview(session, _draft(session, Segment(categories=frozenset({"events"}))))
    assert (shown["recipients"], shown["segment"], shown["status"]) == (42, "「イベント」を受信", "draft")


def test_a_test_send_reaches_only_the_staff_ids_given(db: sessionmaker, recorder: BroadcastingRecorder) -> None:
    with db.begin() as session:
        add_followers(session, 3)
        assert send_test(session, recorder, _draft(session), ["Ustaff"]) == 1
    [call] = recorder.calls
    assert (call.kind, call.to) == ("push", ("Ustaff",))
    assert call.messages[0]["text"].startswith("【テスト配信】")


def test_two_staff_pressing_send_at_once_make_one_delivery(db: sessionmaker) -> None:
    with db.begin() as session:
        add_followers(session, 700)
        broadcast_id = _draft(session)
    outcomes: list[object] = []

    def press() -> None:
        try:
            with db.begin() as session:
                outcomes.append(send_now(session, broadcast_id, now=FIXED_NOW))
        except BroadcastError as exc:
            outcomes.append(type(exc))

    presses = [threading.Thread(target=press) for _ in range(2)]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join()
    assert sorted(outcomes, key=str) == sorted([2, BroadcastError], key=str)
    with db() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryChunk)) == 2


def test_a_schedule_in_the_past_or_an_unknown_repeat_is_refused(db: sessionmaker) -> None:
    with db.begin() as session:
        broadcast_id = _draft(session)
        with pytest.raises(BroadcastError, match="already passed"):
            schedule(session, broadcast_id, at=FIXED_NOW - timedelta(minutes=1), now=FIXED_NOW)
        with pytest.raises(RecurrenceError):
            schedule(session, broadcast_id, at=FIXED_NOW + timedelta(days=1), repeat="毎週", now=FIXED_NOW)


def test_a_scheduled_broadcast_can_be_cancelled_before_it_starts_but_not_after(db: sessionmaker) -> None:
    with db.begin() as session:
        add_followers(session, 5)
        first, second = _draft(session), _draft(session)
        schedule(session, first, at=FIXED_NOW + timedelta(hours=1), now=FIXED_NOW)
        assert cancel(session, first).status == BroadcastStatus.CANCELLED
        assert fire_scheduled(session, first, now=FIXED_NOW + timedelta(hours=1)) is None  # its job finds nothing to do
        send_now(session, second, now=FIXED_NOW)
        with pytest.raises(BroadcastError, match="can no longer be cancelled"):
            cancel(session, second)


def test_each_occurrence_of_a_repeating_broadcast_is_one_copy_even_if_fired_twice(db: sessionmaker) -> None:
    with db.begin() as session:
        add_followers(session, 5)
        parent = _draft(session)
        schedule(session, parent, at=FIXED_NOW + timedelta(days=1), repeat="first-monday@09:00", now=FIXED_NOW)
        monday = FIXED_NOW + timedelta(days=5)
        copy = fire_scheduled(session, parent, now=monday)
        again = fire_scheduled(session, parent, now=monday + timedelta(seconds=20))
        assert copy is not None and again is not None and copy.id == again.id
        assert (copy.parent_id, copy.status) == (parent, BroadcastStatus.SENDING)
        assert session.get(Broadcast, parent).status == BroadcastStatus.SCHEDULED


def test_the_report_counts_chunks_retries_and_times_and_exports_as_csv(db: sessionmaker,
                                                                    recorder: BroadcastingRecorder) -> None:
    with db.begin() as session:
        add_followers(session, 1001)
        broadcast_id = _draft(session)
        send_now(session, broadcast_id, now=FIXED_NOW)
    with db.begin() as session:
        send_due_chunks(session, recorder, now=FIXED_NOW + timedelta(seconds=1))
        finish_deliveries(session, now=FIXED_NOW + timedelta(seconds=2))
    with db() as session:
        report = delivery_report(session, broadcast_id)
    assert (report.recipients, report.chunks, report.sent, report.failed, report.pending, report.retries) == (
        1001, 3, 3, 0, 0, 0)
    assert report.started_at == report.finished_at == FIXED_NOW + timedelta(seconds=1)
    header, row = reports_csv([report]).splitlines()
    assert header.startswith("broadcast_id,title,status") and row.startswith(f"{broadcast_id},秋祭り,done")


def test_an_emergency_without_words_is_refused(db: sessionmaker) -> None:
    from broadcast.services import send_emergency

    with db.begin() as session, pytest.raises(ComposeError, match="needs its text"):
        send_emergency(session, text="　", now=FIXED_NOW)
