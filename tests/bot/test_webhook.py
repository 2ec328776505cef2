"""POST /callback: signature first, then shape, then the inbox; LINE always gets a fast, honest status."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.models import Direction, InboxEvent, InboxStatus, LineUser, MessageLog
from tests.emulator.webhook_schema import validate_webhook_body
from tests.conftest import FIXED_NOW
from tests.webhook_events import (
    USER,
    body,
    follow_event,
    group_text_event,
    postback_event,
    sticker_event,
    text_event,
    unfollow_event,
)


def _inbox(session_factory) -> list[InboxEvent]:
    with session_factory() as session:
        return list(session.scalars(select(InboxEvent).order_by(InboxEvent.id)))


def test_every_payload_used_here_follows_lines_webhook_schema() -> None:
    for event in (text_event("ごみの日"), follow_event(), unfollow_event(), postback_event("action=ask"),
                  sticker_event(), group_text_event("こんにちは")):
        validate_webhook_body(json.loads(body(event)))


def test_a_correctly_signed_event_is_stored_and_acknowledged(webhook, session_factory) -> None:
    response = webhook.post(text_event("粗大ごみの出し方"))
    assert response.status_code == 200
    rows = _inbox(session_factory)
    assert [(r.event_type, r.message_type, r.status) for r in rows] == [("message", "text", InboxStatus.PENDING)]


@pytest.mark.parametrize("signature", ["", "not-base64!", "c2lnbmF0dXJl", None])
def test_a_wrong_or_missing_signature_gets_400_and_stores_nothing(webhook, client, session_factory, signature) -> None:
    raw = body(text_event("住民票"))
    if signature is None:
        response = client.post("/callback", data=raw, headers={"Content-Type": "application/json"})
    else:
        response = webhook.post_raw(raw, signature=signature)
    assert response.status_code == 400
    assert _inbox(session_factory) == []


def test_a_body_signed_with_another_secret_is_refused(webhook, session_factory) -> None:
    from tests.webhook_events import sign

    raw = body(text_event("住民票"))
    assert webhook.post_raw(raw, signature=sign(raw, "someone-elses-secret")).status_code == 400
    assert _inbox(session_factory) == []


def test_a_body_over_one_mebibyte_gets_413(webhook, session_factory) -> None:
    raw = body(text_event("あ" * 400_000))
    assert len(raw) > 1024 * 1024
    assert webhook.post_raw(raw).status_code == 413
    assert _inbox(session_factory) == []


MALFORMED = {
    "not json": b"{not json",
    "not utf-8": b"\xff\xfe{}",
    "a list": b"[]",
    "no events": b'{"destination": "U0"}',
    "events not a list": b'{"events": {}}',
    "event not an object": b'{"events": [1]}',
    "event without id": json.dumps({"events": [{k: v for k, v in text_event("a").items()
                                                if k != "webhookEventId"}]}).encode(),
    "timestamp as text": json.dumps({"events": [{**text_event("a"), "timestamp": "yesterday"}]}).encode(),
    "message without text": json.dumps({"events": [{**text_event("a"), "message": {"id": "1", "type": "text"}}]}).encode(),
    "follow without follow": json.dumps({"events": [{k: v for k, v in follow_event().items()
                                                     if k != "follow"}]}).encode(),
    "source of wrong type": json.dumps({"events": [{**text_event("a"), "source": "U1"}]}).encode(),
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_correctly_signed_but_malformed_body_gets_400_never_500(webhook, session_factory, raw) -> None:
    assert webhook.post_raw(raw).status_code == 400
    assert _inbox(session_factory) == []


def test_an_empty_events_list_is_a_verification_ping_and_gets_200(webhook, session_factory) -> None:
    assert webhook.post_raw(b'{"destination": "U0", "events": []}').status_code == 200
    assert _inbox(session_factory) == []


def test_a_redelivered_event_is_stored_and_answered_once(webhook, session_factory, line) -> None:
    event = text_event("粗大ごみの出し方")
    webhook.send(event)
    webhook.send({**event, "deliveryContext": {"isRedelivery": True}})
    assert len(_inbox(session_factory)) == 1
    assert len(line.calls) == 1


def test_the_same_event_twice_in_one_body_is_stored_once(webhook, session_factory) -> None:
    event = text_event("住民票")
    assert webhook.post(event, event).status_code == 200
    assert len(_inbox(session_factory)) == 1


def test_standby_events_are_stored_but_not_answered(webhook, session_factory, line) -> None:
    webhook.send(text_event("住民票", mode="standby"))
    assert [r.status for r in _inbox(session_factory)] == [InboxStatus.IGNORED]
    assert line.calls == []


def test_an_event_kind_newer_than_the_sdk_is_stored_and_ignored(webhook, session_factory, line) -> None:
    event = {**text_event("x"), "type": "somethingNew"}
    del event["message"]
    webhook.send(event)
    assert [(r.event_type, r.status) for r in _inbox(session_factory)] == [("somethingNew", InboxStatus.IGNORED)]
    assert line.calls == []


def test_the_webhook_answers_before_any_event_is_processed(webhook, session_factory, line) -> None:
    assert webhook.post(text_event("住民票"), follow_event()).status_code == 200
    assert line.calls == []
    assert {r.status for r in _inbox(session_factory)} == {InboxStatus.PENDING}


def test_a_failing_event_is_recorded_and_the_rest_of_the_batch_is_processed(
        webhook, session_factory, line, monkeypatch, caplog) -> None:
    from bot import dispatch

    def explode(event, ctx):
        raise RuntimeError(event.postback.data)  # the citizen's data in the message: it must not be logged

    monkeypatch.setitem(dispatch.DISPATCH, ("postback", None), explode)
    webhook.send(postback_event("action=ask&note=秘密の内容"), text_event("粗大ごみの出し方"), follow_event())
    rows = _inbox(session_factory)
    assert [r.status for r in rows] == [InboxStatus.PENDING, InboxStatus.DONE, InboxStatus.DONE]
    assert rows[0].next_attempt_at > rows[0].received_at
    assert rows[0].attempts == 1 and rows[0].error == "RuntimeError"
    assert len(line.calls) == 2
    assert "秘密" not in caplog.text and "RuntimeError" in caplog.text


def test_a_batch_retried_event_by_event_logs_each_conversation_once_and_in_order(
        webhook, session_factory, monkeypatch) -> None:
    # The failing event rolls its batch back, message log and all; the retry one by one writes it again.
    from bot import dispatch

    monkeypatch.setitem(dispatch.DISPATCH, ("postback", None), lambda event, ctx: 1 / 0)
    webhook.send(text_event("粗大ごみの出し方"), postback_event("action=ask"), text_event("住民票の写し"))
    with session_factory() as session:
        log = session.scalars(select(MessageLog).order_by(MessageLog.id)).all()
        citizen = session.scalars(select(LineUser)).one()
    assert [(m.direction, m.text) for m in log if m.direction is Direction.INCOMING] == [
        (Direction.INCOMING, "粗大ごみの出し方"), (Direction.INCOMING, "住民票の写し")]
    assert [m.direction for m in log] == [Direction.INCOMING, Direction.OUTGOING] * 2
    assert citizen.last_message_at is not None


def test_a_failed_event_is_retried_later_and_then_parked_as_failed(webhook, session_factory, monkeypatch,
                                                                     clock) -> None:
    from bot import dispatch

    monkeypatch.setitem(dispatch.DISPATCH, ("postback", None), lambda event, ctx: 1 / 0)
    webhook.send(postback_event("action=ask"))
    assert webhook.processor.drain() == 0  # not due yet: it waits before its second try
    clock.advance(10)
    assert webhook.processor.drain() == 1
    clock.advance(60)
    assert webhook.processor.drain() == 1
    clock.advance(3600)
    assert webhook.processor.drain() == 0
    assert [(r.status, r.attempts) for r in _inbox(session_factory)] == [(InboxStatus.FAILED, 3)]


def test_message_text_is_never_logged(webhook, caplog) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    webhook.send(text_event("私の住所は港区1-2-3です"), text_event("{broken"))
    assert "港区" not in caplog.text


def test_unfollow_marks_the_citizen_blocked_and_sends_nothing(webhook, session_factory, line) -> None:
    webhook.send(follow_event())
    webhook.send(unfollow_event())
    with session_factory() as session:
        user = session.scalars(select(LineUser)).one()
    assert user.is_blocked
    assert len(line.calls) == 1  # the greeting only


def test_group_messages_are_stored_but_not_answered(webhook, session_factory, line) -> None:
    webhook.send(group_text_event("こんにちは"))
    assert [r.status for r in _inbox(session_factory)] == [InboxStatus.IGNORED]
    assert line.calls == []
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(LineUser)) == 0


def test_a_database_that_fails_gets_503_so_line_redelivers(webhook, session_factory) -> None:
    from sqlalchemy import text

    with session_factory.begin() as session:  # a real database error, not a mock: the table is gone
        session.execute(text("DROP TABLE message_log"))
        session.execute(text("DROP TABLE webhook_inbox"))
    assert webhook.post(text_event("住民票")).status_code == 503


def test_a_starting_worker_answers_what_was_left_pending_at_once(webhook, session_factory, line) -> None:
    # After a crash or a restart nobody posts a webhook to wake the worker: it must look by itself.
    import time

    from bot.processing import InlineWorker

    assert webhook.post(text_event("粗大ごみの出し方")).status_code == 200
    worker = InlineWorker(webhook.processor, idle_seconds=60)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while _inbox(session_factory)[0].status is InboxStatus.PENDING and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert _inbox(session_factory)[0].status is InboxStatus.DONE
    assert [call.kind for call in line.calls] == ["reply"]


def test_a_polling_worker_looks_for_staff_replies_once_a_second_and_at_once_when_woken(
        webhook, session_factory, line) -> None:
    import time

    from bot.processing import OUTBOX_SECONDS, InlineWorker
    from inquiries.services import open_inquiry, reply_as_staff

    def staff_reply(text: str) -> None:
        with session_factory.begin() as session:
            inquiry = open_inquiry(session, channel="line", text="質問です", now=FIXED_NOW, line_user_id=USER)
            reply_as_staff(session, inquiry.id, text, staff_name="佐藤", now=FIXED_NOW)

    def pushed() -> list[str]:
        return [m["text"] for call in line.calls if call.kind == "push" for m in call.messages]

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 10
        while not any(text in t for t in pushed()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any(text in t for t in pushed())

    now = [1000.0]
    worker = InlineWorker(webhook.processor, idle_seconds=0.01, clock=lambda: now[0])
    worker.start()  # the first pass looks at the outbox
    try:
        time.sleep(0.2)
        staff_reply("一通目の回答です")
        time.sleep(0.3)  # some thirty polls within the same second: none looks at the outbox
        assert pushed() == []
        now[0] += OUTBOX_SECONDS
        wait_for("一通目の回答です")
        staff_reply("二通目の回答です")
        worker.notify()  # what the admin does after a staff reply: no waiting for the second
        wait_for("二通目の回答です")
    finally:
        worker.stop()


def test_replies_of_a_batch_finished_after_the_sending_threads_closed_are_still_sent(
        webhook, app, session_factory, line) -> None:
    # A worker told to stop closes its sending threads; a batch still in hand must not lose its answers.
    from bot.processing import EventProcessor

    runtime = app.extensions["madoguchi"]
    processor = EventProcessor(runtime.session_factory, line, runtime.answerer, runtime.clock,
                               settings=runtime.settings, send_threads=4)
    processor.close()
    assert webhook.post(text_event("粗大ごみの出し方"), text_event("住民票の取り方")).status_code == 200
    assert processor.drain() == 2
    assert [call.kind for call in line.calls] == ["reply", "reply"]


def test_with_parallel_sending_each_citizens_answers_keep_their_order(webhook, app, line) -> None:
    from bot.processing import EventProcessor
    from tests.webhook_events import OTHER_USER

    runtime = app.extensions["madoguchi"]
    processor = EventProcessor(runtime.session_factory, line, runtime.answerer, runtime.clock,
                               settings=runtime.settings, send_threads=4)
    questions = ["粗大ごみの出し方", "住民票の取り方", "図書館の開館時間", "避難所はどこ"]
    events = [text_event(question) for question in questions] + [text_event("ごみの日", user_id=OTHER_USER)]
    assert webhook.post(*events).status_code == 200
    assert processor.drain() == 5
    processor.close()  # waits for the sending threads
    mine = [call.reply_token for call in line.calls if call.kind == "reply" and call.reply_token in
            {event["replyToken"] for event in events[:4]}]
    assert mine == [event["replyToken"] for event in events[:4]]
    assert len([call for call in line.calls if call.kind == "reply"]) == 5
