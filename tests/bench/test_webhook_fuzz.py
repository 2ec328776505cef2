"""The webhook fuzz benchmark, small (bench/webhook_fuzz.py): correctly signed bodies from webhook.yml and
mutations of them never get a 5xx, badly signed ones never get in, and the worker never crashes on
what was stored. Below it, one body for each bug the fuzz found (each was a 500, a 503 on PostgreSQL,
an event parked as failed, or a batch's replies lost), so they stay fixed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bench import webhook_fuzz
from core.line_gateway import RecordingLineGateway
from core.models import InboxEvent, InboxStatus
from inquiries.models import Inquiry
from tests import conftest
from tests.conftest import CHANNEL_SECRET
from tests.webhook_events import WebhookPoster, postback_event, text_event


def test_fuzzed_bodies_get_no_5xx_bad_signatures_get_nowhere_and_the_worker_never_crashes(
        app: Flask, clock: conftest.TestClock) -> None:
    clock.advance(5)  # the events waited, as in a backlog: the worker's loading-animation path runs too
    fuzzed = webhook_fuzz.fuzz(app, signed=300, unsigned=300, secret=CHANNEL_SECRET)

    assert fuzzed["unsigned"] == 300
    assert fuzzed["unsigned_accepted"] == fuzzed["stored_by_unsigned"] == 0
    assert all(400 <= int(status) < 500 for status in fuzzed["unsigned_by_status"]), fuzzed["unsigned_by_status"]

    assert fuzzed["signed"] == 300
    assert fuzzed["responses_5xx"] == 0, json.dumps(fuzzed["findings"], ensure_ascii=False, indent=1)
    assert fuzzed["signed_2xx"] > 100  # most bodies are well-formed: the fuzz reaches the inbox

    assert fuzzed["worker_crashes"] == 0, (fuzzed["worker_errors_by_type"], fuzzed["worker_exceptions_escaped"])
    assert fuzzed["left_unprocessed"] == 0
    assert fuzzed["processed"] > 100 and fuzzed["inbox_by_status"].get("done", 0) > 50  # the handlers ran


# --- what the fuzz found, one body each ------------------------------------------------------------------

def _post(client: FlaskClient, raw: bytes) -> int:
    signature = base64.b64encode(hmac.new(CHANNEL_SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    return client.post("/callback", data=raw, headers={"X-Line-Signature": signature}).status_code


def _body(**changes: Any) -> bytes:
    event = {**text_event("粗大ごみ"), **changes}
    return json.dumps({"destination": "U" + "f" * 32, "events": [event]}).encode()


def test_a_lone_surrogate_in_the_event_id_is_refused_not_a_500(client: FlaskClient) -> None:
    assert _post(client, _body(webhookEventId="\ud800abc")) == 400


def test_a_timestamp_beyond_the_calendar_is_refused_not_a_500(client: FlaskClient) -> None:
    assert _post(client, _body(timestamp=2**62)) == 400


def test_deeply_nested_json_is_refused_not_a_500(client: FlaskClient) -> None:
    assert _post(client, b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}") == 400


def test_a_message_without_a_type_is_refused_not_a_500(client: FlaskClient) -> None:
    assert _post(client, _body(message={"id": "1"})) == 400


def test_a_message_type_that_is_a_list_is_refused_not_a_500(client: FlaskClient) -> None:
    assert _post(client, _body(message={"id": "1", "type": ["text"]})) == 400


def test_an_unknown_kind_with_a_string_source_is_stored_not_a_500(client: FlaskClient) -> None:
    assert _post(client, _body(type="somethingNew", source="U1")) in (200, 400)


def test_a_lone_surrogate_in_a_text_is_refused_or_answered_never_parked(client: FlaskClient, app: Flask) -> None:
    status = _post(client, _body(message={"id": "1", "type": "text", "text": "\ud800", "quoteToken": "q"}))
    rt = app.extensions["madoguchi"]
    assert not webhook_fuzz.drain(rt.processor, lambda: webhook_fuzz.count_pending(rt))
    with rt.session_factory() as session:
        assert status == 400 or set(session.scalars(select(InboxEvent.error))) == {None}


def test_a_nul_in_the_user_id_is_never_a_503(client: FlaskClient) -> None:
    raw = _body(source={"type": "user", "userId": "U\x00" + "1" * 31})
    assert _post(client, raw) in (200, 400)


def test_a_nul_in_a_message_is_refused_or_answered_never_parked(client: FlaskClient, app: Flask) -> None:
    raw = _body(message={"id": "1", "type": "text", "text": "a\x00b", "quoteToken": "q"})
    assert _post(client, raw) in (200, 400)
    rt = app.extensions["madoguchi"]
    assert not webhook_fuzz.drain(rt.processor, lambda: webhook_fuzz.count_pending(rt))
    with rt.session_factory() as session:
        assert set(session.scalars(select(InboxEvent.error))) <= {None}


def test_a_nul_in_a_queued_message_does_not_stop_the_worker(client: FlaskClient, app: Flask, clock: conftest.TestClock,
                                                            line: RecordingLineGateway) -> None:
    for number in range(30):  # more than a batch: the last one waits while the first ones are answered
        assert _post(client, _body(webhookEventId=f"01QUEUED{number:018d}", replyToken=f"queued{number}")) == 200
    nul = _body(webhookEventId="01QUEUEDNUL", message={"id": "1", "type": "text", "text": "ごみ", "quoteToken": "\x00"})
    assert _post(client, nul) in (200, 400)  # refused, or stored and then answered
    clock.advance(5)  # a backlog: the worker shows the queued citizens LINE's loading animation
    rt = app.extensions["madoguchi"]
    assert webhook_fuzz.drain(rt.processor, lambda: webhook_fuzz.count_pending(rt)) == []
    with rt.session_factory() as session:
        assert set(session.scalars(select(InboxEvent.status))) <= {InboxStatus.DONE, InboxStatus.IGNORED}
    # PostgreSQL's json operators could not read "\u0000": the loading-animation lookup failed between
    # the batch's commit and its replies, which were then never sent.
    assert sum(1 for call in line.calls if call.kind in ("reply", "push")) >= 30


@pytest.mark.parametrize("blank", ["　", " \n "])
def test_a_blank_message_while_writing_an_inquiry_is_answered_not_parked(webhook: WebhookPoster, app: Flask,
                                                                         line: RecordingLineGateway,
                                                                         blank: str) -> None:
    webhook.send(postback_event("action=inquiry"))
    webhook.send(text_event(blank))  # handlers/inquiry.py passed "" to open_inquiry: InquiryError, three times
    with app.extensions["madoguchi"].session_factory() as session:
        assert set(session.scalars(select(InboxEvent.status))) == {InboxStatus.DONE}
        assert session.scalars(select(Inquiry)).first() is None
    assert "お問い合わせ内容を送ってください" in line.calls[-1].messages[0]["text"]


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_or_infinity_in_a_body_is_refused_never_a_503(client: FlaskClient, number: bytes) -> None:
    # json.loads accepts NaN and Infinity, PostgreSQL's json column does not: stored, it was a 503.
    location = b'{"id": "1", "type": "location", "latitude": ' + number + b', "longitude": 136.0}'
    raw = _body(message={"id": "1", "type": "location", "latitude": 35.0, "longitude": 136.0})
    raw = raw.replace(b'{"id": "1", "type": "location", "latitude": 35.0, "longitude": 136.0}', location)
    assert _post(client, raw) == 400
