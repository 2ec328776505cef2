"""The SDK gateway over real HTTP against the emulator: what LINE receives, and how its errors come back."""
from __future__ import annotations

import base64
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from flask import Flask
from prometheus_client import REGISTRY

from core.line_gateway import (
    LineApiError,
    RecordingLineGateway,
    ReplyTokenRejectedError,
    SdkLineGateway,
    reply_or_push,
    retry_key_for,
)
from emulator.app import EmulatorConfig, create_app as create_emulator
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET, ServerThread
from tests.webhook_events import USER

HELLO = [{"type": "text", "text": "こんにちは"}]


@pytest.fixture
def receiver() -> Iterator[ServerThread]:
    """A stand-in bot that accepts every webhook (the gateway tests need tokens, not answers)."""
    app = Flask("receiver")
    app.add_url_rule("/callback", "callback", lambda: ("OK", 200), methods=["POST"])
    server = ServerThread(app)
    yield server
    server.stop()


@pytest.fixture
def emulator(receiver: ServerThread) -> Iterator[ServerThread]:
    """The LINE emulator on a free port."""
    server = ServerThread(create_emulator(EmulatorConfig(
        channel_secret=CHANNEL_SECRET, channel_access_token=ACCESS_TOKEN, webhook_url=receiver.url + "/callback")))
    yield server
    server.stop()


@pytest.fixture
def gateway(emulator: ServerThread) -> SdkLineGateway:
    """The real SDK client pointed at the emulator."""
    return SdkLineGateway(access_token=ACCESS_TOKEN, api_base=emulator.url, data_api_base=emulator.url)


def _recorded(emulator: ServerThread, path: str) -> list[dict]:
    return requests.get(f"{emulator.url}/_emulator/requests", params={"path": path}, timeout=5).json()


def _say(emulator: ServerThread, **payload: object) -> dict:
    response = requests.post(f"{emulator.url}/_emulator/say", json={"user_id": USER, **payload}, timeout=5)
    response.raise_for_status()
    return response.json()


def test_a_reply_reaches_line_with_the_token_and_messages(gateway, emulator) -> None:
    token = _say(emulator, text="住民票")["reply_token"]
    gateway.reply(token, HELLO)
    [call] = _recorded(emulator, "/v2/bot/message/reply")
    assert call["status"] == 200
    assert (call["body"]["replyToken"], call["body"]["messages"]) == (token, HELLO)


def test_a_used_reply_token_is_rejected_as_such(gateway, emulator) -> None:
    token = _say(emulator, text="住民票")["reply_token"]
    gateway.reply(token, HELLO)
    with pytest.raises(ReplyTokenRejectedError):
        gateway.reply(token, HELLO)


def test_reply_or_push_pushes_when_the_token_is_rejected(gateway, emulator) -> None:
    how = reply_or_push(gateway, reply_token="expired-token", to=USER, messages=HELLO,
                        retry_key=retry_key_for("reply", "event-1"))
    assert how == "push"
    [push] = _recorded(emulator, "/v2/bot/message/push")
    assert push["body"]["to"] == USER
    assert push["retry_key"] == retry_key_for("reply", "event-1")


def test_a_push_sent_again_with_the_same_retry_key_counts_as_delivered(gateway, emulator) -> None:
    requests.post(f"{emulator.url}/_emulator/faults",
                  json={"endpoint": "push", "mode": "error_after", "count": 1}, timeout=5)
    key = retry_key_for("push", "x")
    with pytest.raises(LineApiError) as caught:
        gateway.push(USER, HELLO, retry_key=key)
    assert caught.value.is_retryable
    gateway.push(USER, HELLO, retry_key=key)  # LINE answers 409: it already has it
    assert [c["status"] for c in _recorded(emulator, "/v2/bot/message/push")] == [500, 409]


def test_multicast_sends_to_every_recipient(gateway, emulator) -> None:
    recipients = [f"U{n:032x}" for n in range(3)]
    gateway.multicast(recipients, HELLO, retry_key=retry_key_for("multicast", "1"))
    [call] = _recorded(emulator, "/v2/bot/message/multicast")
    assert call["body"]["to"] == recipients


def test_more_than_five_messages_are_refused_before_calling_line(gateway, emulator) -> None:
    with pytest.raises(ValueError):
        gateway.push(USER, HELLO * 6, retry_key=retry_key_for("p"))
    assert _recorded(emulator, "/v2/bot/message/push") == []


def test_a_rate_limited_call_is_a_retryable_error(gateway, emulator) -> None:
    requests.post(f"{emulator.url}/_emulator/rate_limits", json={"enabled": True, "limits": {"push": 1}}, timeout=5)
    gateway.push(USER, HELLO, retry_key=retry_key_for("p", "1"))
    with pytest.raises(LineApiError) as caught:
        gateway.push(USER, HELLO, retry_key=retry_key_for("p", "2"))
    assert caught.value.status == 429 and caught.value.is_retryable


def test_content_comes_from_the_data_host(gateway, emulator) -> None:
    jpeg = b"\xff\xd8\xff\xe0fake-jpeg-bytes"
    event = _say(emulator, type="image", image_base64=base64.b64encode(jpeg).decode(), content_type="image/jpeg")["event"]
    assert gateway.get_content(event["message"]["id"]) == jpeg


def test_unknown_content_is_a_404_error(gateway) -> None:
    with pytest.raises(LineApiError) as caught:
        gateway.get_content("999999")
    assert caught.value.status == 404


def test_an_unreachable_line_is_a_retryable_error() -> None:
    gateway = SdkLineGateway(access_token=ACCESS_TOKEN, api_base="http://127.0.0.1:9", data_api_base="http://127.0.0.1:9")
    with pytest.raises(LineApiError) as caught:
        gateway.push(USER, HELLO, retry_key=retry_key_for("p"))
    assert caught.value.status == 0 and caught.value.is_retryable


def test_the_loading_animation_is_requested_for_the_chat(gateway, emulator) -> None:
    gateway.show_loading(USER, 5)
    [call] = _recorded(emulator, "/v2/bot/chat/loading/start")
    assert call["body"] == {"chatId": USER, "loadingSeconds": 5}


def test_the_recording_fake_refuses_a_token_twice_like_line() -> None:
    fake = RecordingLineGateway()
    fake.reply("t", HELLO)
    with pytest.raises(ReplyTokenRejectedError):
        fake.reply("t", HELLO)
    assert fake.texts() == ["こんにちは"]


def test_retry_keys_are_stable_uuids() -> None:
    assert retry_key_for("reply", "e1") == retry_key_for("reply", "e1") != retry_key_for("reply", "e2")
    assert len(retry_key_for("x")) == 36


def test_a_profile_comes_from_line_with_the_language(gateway, emulator) -> None:
    _say(emulator, type="follow")
    assert gateway.get_profile(USER)["language"] == "ja"
    with pytest.raises(LineApiError) as caught:
        gateway.get_profile("U" + "0" * 32)
    assert caught.value.status == 404


def _fault(emulator: ServerThread, endpoint: str, mode: str, count: int, status: int = 500) -> None:
    requests.post(f"{emulator.url}/_emulator/faults",
                  json={"endpoint": endpoint, "mode": mode, "count": count, "status": status}, timeout=5).raise_for_status()


def test_a_reply_that_fails_on_lines_side_is_pushed_instead_so_the_citizen_gets_an_answer(gateway, emulator) -> None:
    token = _say(emulator, text="粗大ごみ")["reply_token"]
    _fault(emulator, "reply", "error_before", 1)
    how = reply_or_push(gateway, reply_token=token, to=USER, messages=HELLO, retry_key=retry_key_for("reply", "e2"))
    assert how == "push"
    assert [c["status"] for c in _recorded(emulator, "/v2/bot/message/reply")] == [500]
    [push] = _recorded(emulator, "/v2/bot/message/push")
    assert push["status"] == 200 and push["retry_key"] == retry_key_for("reply", "e2")


def test_a_failing_push_is_retried_with_the_same_key_and_delivered_once(gateway, emulator) -> None:
    _fault(emulator, "push", "error_before", 1)
    _fault(emulator, "push", "error_after", 1)  # accepted, but we see a 500: the retry gets 409
    waits: list[float] = []
    how = reply_or_push(gateway, reply_token=None, to=USER, messages=HELLO, retry_key=retry_key_for("push", "e3"),
                        sleep=waits.append)
    assert how == "push" and len(waits) == 2
    assert [c["status"] for c in _recorded(emulator, "/v2/bot/message/push")] == [500, 500, 409]
    assert len([m for m in requests.get(f"{emulator.url}/_emulator/messages", params={"user_id": USER},
                                        timeout=5).json() if m["from"] != "user"]) == 1


def test_a_reply_refused_for_a_reason_a_push_would_not_fix_is_not_pushed(gateway, emulator) -> None:
    token = _say(emulator, text="粗大ごみ")["reply_token"]
    bad = [{"type": "text", "text": ""}]  # LINE refuses empty text: a push would be refused the same way
    with pytest.raises(LineApiError) as caught:
        reply_or_push(gateway, reply_token=token, to=USER, messages=bad, retry_key=retry_key_for("reply", "e4"))
    assert not caught.value.is_retryable
    assert _recorded(emulator, "/v2/bot/message/push") == []


ANSWER = [{"type": "text", "text": "粗大ごみは事前の申し込みが必要です。",
           "quickReply": {"items": [
               {"type": "action", "action": {"type": "postback", "label": "役に立った",
                                             "data": "action=feedback&q=1&v=1", "displayText": "役に立った"}},
               {"type": "action", "action": {"type": "message", "label": "職員に問い合わせる",
                                             "text": "職員に問い合わせる"}}]}},
          {"type": "sticker", "packageId": "446", "stickerId": "1988"}]


def test_line_receives_the_messages_exactly_as_built_quick_replies_and_all(gateway, emulator) -> None:
    token = _say(emulator, text="粗大ごみ")["reply_token"]
    gateway.reply(token, ANSWER)
    gateway.push(USER, ANSWER, retry_key=retry_key_for("push", "answer"))
    [reply] = _recorded(emulator, "/v2/bot/message/reply")
    [push] = _recorded(emulator, "/v2/bot/message/push")
    assert reply["body"] == {"replyToken": token, "messages": ANSWER}
    assert push["body"] == {"to": USER, "messages": ANSWER}


@pytest.mark.parametrize("bad", [
    {"type": "text"},                                # no text
    {"type": "text", "text": 42},                    # not a string
    {"type": "carrier-pigeon", "text": "こんにちは"},  # no such message type
    {"type": "text", "text": "x", "quickReply": {"items": [
        {"type": "action", "action": {"type": "postback", "label": "x", "data": "d" * 301}}]}},  # data over 300
])
def test_a_message_the_sdk_models_refuse_is_refused_before_calling_line(gateway, emulator, bad) -> None:
    with pytest.raises(ValueError):
        gateway.push(USER, [bad], retry_key=retry_key_for("push", "bad"))
    with pytest.raises(ValueError):
        gateway.reply("any-token", [bad])
    assert _recorded(emulator, "/v2/bot/message/push") == _recorded(emulator, "/v2/bot/message/reply") == []


def test_a_loading_animation_longer_than_line_allows_is_refused_before_calling_line(gateway, emulator) -> None:
    with pytest.raises(ValueError):
        gateway.show_loading(USER, 90)
    assert _recorded(emulator, "/v2/bot/chat/loading/start") == []


def _errors(endpoint: str, status: str) -> float:
    return REGISTRY.get_sample_value("madoguchi_line_api_errors_total", {"endpoint": endpoint, "status": status}) or 0.0


def test_line_errors_are_counted_under_the_sdk_method_names(gateway, emulator) -> None:
    before = (_errors("reply_message", "400"), _errors("push_message", "500"), _errors("multicast", "500"))
    with pytest.raises(ReplyTokenRejectedError):
        gateway.reply("expired-token", HELLO)
    _fault(emulator, "push", "error_before", 1)
    _fault(emulator, "multicast", "error_before", 1)
    with pytest.raises(LineApiError):
        gateway.push(USER, HELLO, retry_key=retry_key_for("push", "counted"))
    with pytest.raises(LineApiError):
        gateway.multicast([USER], HELLO, retry_key=retry_key_for("multicast", "counted"))
    after = (_errors("reply_message", "400"), _errors("push_message", "500"), _errors("multicast", "500"))
    assert [b - a for a, b in zip(before, after)] == [1, 1, 1]


def test_a_burst_of_pushes_from_the_reply_threads_keeps_its_connections_for_the_next_burst(gateway, emulator) -> None:
    # The worker sends a batch's replies from 8 threads, then none until the next batch. A pool
    # smaller than that closed the extra connections after each burst and opened them again.
    # Slow answers, so that the 8 calls overlap:
    requests.post(f"{emulator.url}/_emulator/faults", json={"endpoint": "push", "mode": "hang", "count": 16,
                                                           "seconds": 0.2}, timeout=5).raise_for_status()
    with ThreadPoolExecutor(8) as threads:
        for burst in range(2):
            list(threads.map(lambda n: gateway.push(USER, HELLO, retry_key=retry_key_for("burst", str(burst), str(n))),
                             range(8)))
    pool = gateway._api.api_client.rest_client.pool_manager.connection_from_url(emulator.url)
    assert pool.num_requests == 16 and pool.num_connections <= 8
