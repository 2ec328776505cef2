"""Playing LINE towards the bot: events are built as webhook.yml says, signed and posted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
from typing import Any

import pytest
from flask.testing import FlaskClient

from emulator.state import EmulatorState
from tests.emulator.conftest import ALICE, SECRET, FakeBot, say
from tests.emulator.webhook_schema import validate_webhook_body

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


def posted(bot: FakeBot, index: int = -1) -> dict[str, Any]:
    """Return the webhook body the bot received, after checking LINE's signature on it."""
    delivery = bot.received[index]
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).digest()).decode()
    assert delivery.headers["X-Line-Signature"] == expected
    body = json.loads(delivery.body)
    validate_webhook_body(body)
    return body


EVENTS = [
    pytest.param({"text": "ごみの分別を教えて"}, "message", id="text"),
    pytest.param({"type": "follow"}, "follow", id="follow"),
    pytest.param({"type": "unfollow"}, "unfollow", id="unfollow"),
    pytest.param({"type": "postback", "data": "report=start"}, "postback", id="postback"),
    pytest.param({"type": "postback", "data": "pick", "params": {"date": "2026-12-01"}},
                 "postback", id="postback with params"),
    pytest.param({"type": "location", "latitude": 33.7576, "longitude": 132.7033,
                  "title": "伊予市役所", "address": "愛媛県伊予市米湊820"}, "message", id="location"),
    pytest.param({"type": "image", "image_base64": base64.b64encode(b"\xff\xd8\xff").decode(),
                  "content_type": "image/jpeg"}, "message", id="image"),
    pytest.param({"type": "sticker", "package_id": "446", "sticker_id": "1988"}, "message",
                 id="sticker"),
]


@pytest.mark.parametrize("payload, event_type", EVENTS)
def test_each_event_is_posted_signed_and_valid_against_webhook_yml(
        client: FlaskClient, bot: FakeBot, state: EmulatorState, payload: dict[str, Any],
        event_type: str) -> None:
    answer = say(client, **payload)
    body = posted(bot)
    assert body["destination"] == state.bot_user_id
    assert body["events"] == [answer["event"]]
    event = answer["event"]
    assert event["type"] == event_type
    assert event["source"] == {"type": "user", "userId": ALICE}
    assert event["mode"] == "active"
    assert event["deliveryContext"] == {"isRedelivery": False}
    assert ULID.match(event["webhookEventId"])
    assert answer["status"] == 200


def test_the_webhook_is_posted_with_lines_headers(client: FlaskClient, bot: FakeBot) -> None:
    say(client, text="こんにちは")
    headers = bot.received[0].headers
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["User-Agent"] == "LineBotWebhook/2.0"


def test_japanese_text_is_sent_unescaped_in_utf8(client: FlaskClient, bot: FakeBot) -> None:
    say(client, text="道路に穴があいています")
    assert "道路に穴があいています".encode() in bot.received[0].body


def test_a_text_event_carries_the_text_a_reply_token_and_a_quote_token(
        client: FlaskClient, bot: FakeBot) -> None:
    answer = say(client, text="こんにちは")
    event = answer["event"]
    assert event["message"]["text"] == "こんにちは"
    assert event["message"]["quoteToken"]
    assert event["replyToken"] == answer["reply_token"]
    assert re.match(r"^[0-9a-f]{32}$", answer["reply_token"])


def test_message_ids_are_unique(client: FlaskClient, bot: FakeBot) -> None:
    ids = {say(client, text=str(i))["event"]["message"]["id"] for i in range(3)}
    assert len(ids) == 3


def test_an_unfollow_event_has_no_reply_token(client: FlaskClient, bot: FakeBot) -> None:
    answer = say(client, type="unfollow")
    assert "replyToken" not in answer["event"] and answer["reply_token"] is None


def test_following_again_after_blocking_is_an_unblock(client: FlaskClient, bot: FakeBot) -> None:
    assert say(client, type="follow")["event"]["follow"] == {"isUnblocked": False}
    say(client, type="unfollow")
    assert say(client, type="follow")["event"]["follow"] == {"isUnblocked": True}


def test_a_postback_carries_its_data_and_params(client: FlaskClient, bot: FakeBot) -> None:
    event = say(client, type="postback", data="action=pick",
                params={"datetime": "2026-12-01T10:00"})["event"]
    assert event["postback"] == {"data": "action=pick", "params": {"datetime": "2026-12-01T10:00"}}


def test_a_location_event_carries_coordinates(client: FlaskClient, bot: FakeBot) -> None:
    message = say(client, type="location", latitude=33.7576, longitude=132.7033)["event"]["message"]
    assert (message["type"], message["latitude"], message["longitude"]) == (
        "location", 33.7576, 132.7033)


def test_an_image_event_points_to_content_hosted_by_line(client: FlaskClient, bot: FakeBot) -> None:
    message = say(client, type="image", image_base64="aGVsbG8=")["event"]["message"]
    assert message["contentProvider"] == {"type": "line"}


def test_a_sticker_event_carries_package_and_sticker_ids(client: FlaskClient, bot: FakeBot) -> None:
    message = say(client, type="sticker", package_id=446, sticker_id=1988)["event"]["message"]
    assert (message["packageId"], message["stickerId"]) == ("446", "1988")


def test_a_standby_event_is_marked_standby(client: FlaskClient, bot: FakeBot) -> None:
    assert say(client, text="こんにちは", mode="standby")["event"]["mode"] == "standby"
    posted(bot)


def test_a_group_event_names_the_group_and_the_speaker(client: FlaskClient, bot: FakeBot) -> None:
    group = "C" + "a" * 32
    event = say(client, text="こんにちは", source={"type": "group", "groupId": group})["event"]
    assert event["source"] == {"type": "group", "groupId": group, "userId": ALICE}
    posted(bot)


def test_redelivery_resends_the_same_event_marked_as_redelivered(
        client: FlaskClient, bot: FakeBot) -> None:
    first = say(client, text="こんにちは")["event"]
    again = say(client, redeliver=True)["event"]
    assert again["webhookEventId"] == first["webhookEventId"]
    assert again["deliveryContext"] == {"isRedelivery": True}
    assert {k: v for k, v in again.items() if k != "deliveryContext"} == {
        k: v for k, v in first.items() if k != "deliveryContext"}
    assert posted(bot)["events"] == [again]
    assert len(client.get(f"/_emulator/messages?user_id={ALICE}").get_json()) == 1


def test_redelivery_without_an_earlier_event_is_not_found(client: FlaskClient,
                                                          bot: FakeBot) -> None:
    assert client.post("/_emulator/say", json={"user_id": ALICE, "redeliver": True}
                       ).status_code == 404


def test_the_bots_status_is_passed_back(client: FlaskClient, bot: FakeBot) -> None:
    bot.status = 400
    assert say(client, text="こんにちは")["status"] == 400


def test_an_unreachable_bot_answers_502_with_a_clear_message(client: FlaskClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client.post("/_emulator/config", json={"webhook_url": f"http://127.0.0.1:{port}/callback"})
    response = client.post("/_emulator/say", json={"user_id": ALICE, "text": "こんにちは"})
    assert response.status_code == 502
    assert "unreachable" in response.get_json()["message"]


def test_saying_without_a_webhook_url_is_refused_clearly(client: FlaskClient) -> None:
    response = client.post("/_emulator/say", json={"user_id": ALICE, "text": "こんにちは"})
    assert response.status_code == 409
    assert "webhook_url" in response.get_json()["message"]


@pytest.mark.parametrize("payload", [
    {"user_id": "U123", "text": "x"},
    {"user_id": ALICE},
    {"user_id": ALICE, "text": ""},
    {"user_id": ALICE, "type": "location", "latitude": "north", "longitude": 132.7},
    {"user_id": ALICE, "type": "image", "image_base64": "%%%"},
    {"user_id": ALICE, "type": "postback"},
    {"user_id": ALICE, "type": "postback", "data": "x", "params": {"n": 1}},
    {"user_id": ALICE, "text": "x", "mode": "sleepy"},
    {"user_id": ALICE, "text": "x", "source": {"type": "group"}},
])
def test_a_say_request_that_makes_no_sense_is_refused(client: FlaskClient, bot: FakeBot,
                                                      payload: dict[str, Any]) -> None:
    assert client.post("/_emulator/say", json=payload).status_code == 400
    assert bot.received == []


def test_webhook_raw_posts_any_body_correctly_signed(client: FlaskClient, bot: FakeBot) -> None:
    answer = client.post("/_emulator/webhook_raw", json={"body": "{not json"}).get_json()
    assert bot.received[0].body == b"{not json"
    expected = base64.b64encode(hmac.new(SECRET.encode(), b"{not json", hashlib.sha256).digest())
    assert bot.received[0].headers["X-Line-Signature"] == expected.decode()
    assert answer == {"status": 200, "signature": expected.decode()}


def test_webhook_raw_can_send_a_wrong_signature(client: FlaskClient, bot: FakeBot) -> None:
    client.post("/_emulator/webhook_raw", json={"body": "{}", "signature": "forged"})
    assert bot.received[0].headers["X-Line-Signature"] == "forged"
