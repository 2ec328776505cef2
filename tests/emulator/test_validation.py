"""Message bodies are checked with LINE's limits and rejected in LINE's error shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.conftest import ALICE, LineApi, text


def quick_reply(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"items": [{"type": "action", "action": a} for a in actions]}


def postback(label: str = "はい", data: str = "answer=yes") -> dict[str, Any]:
    return {"type": "postback", "label": label, "data": data}


def image(url: str = "https://example.jp/a.jpg") -> dict[str, Any]:
    return {"type": "image", "originalContentUrl": url, "previewImageUrl": url}


def flex(alt: str = "お知らせ") -> dict[str, Any]:
    return {"type": "flex", "altText": alt, "contents": {"type": "bubble"}}


ACCEPTED = [
    pytest.param([text("あ" * 5000)], id="text of exactly 5000 characters"),
    pytest.param([text()] * 5, id="five messages"),
    pytest.param([text(quickReply=quick_reply(*[postback()] * 13))], id="13 quick reply buttons"),
    pytest.param([text(quickReply=quick_reply(postback(label="あ" * 20)))], id="label of 20"),
    pytest.param([text(quickReply=quick_reply(postback(data="d" * 300)))], id="data of 300"),
    pytest.param([text(quickReply=quick_reply({"type": "location", "label": "現在地を送る"}))],
                 id="location quick reply"),
    pytest.param([image()], id="https image"),
    pytest.param([flex("あ" * 1500)], id="flex alt text of 1500"),
    pytest.param([{"type": "sticker", "packageId": "446", "stickerId": "1988"}], id="sticker"),
    pytest.param([{"type": "location", "title": "伊予市役所", "address": "愛媛県伊予市米湊820",
                   "latitude": 33.7576, "longitude": 132.7033}], id="location"),
    pytest.param([{"type": "template", "altText": "確認", "template": {
        "type": "confirm", "text": "送信しますか？",
        "actions": [postback("はい"), {"type": "message", "label": "いいえ", "text": "いいえ"}]}}],
        id="confirm template"),
]

REJECTED = [
    pytest.param([], "messages", id="no messages"),
    pytest.param([text()] * 6, "messages", id="six messages"),
    pytest.param([text("")], "messages[0].text", id="empty text"),
    pytest.param([text("あ" * 5001)], "messages[0].text", id="text of 5001 characters"),
    pytest.param([{"type": "textV3", "text": "x"}], "messages[0].type", id="unknown type"),
    pytest.param([text(quickReply=quick_reply(*[postback()] * 14))],
                 "messages[0].quickReply.items", id="14 quick reply buttons"),
    pytest.param([text(quickReply=quick_reply(postback(label="あ" * 21)))],
                 "messages[0].quickReply.items[0].action.label", id="label of 21"),
    pytest.param([text(quickReply=quick_reply({"type": "postback", "data": "x"}))],
                 "messages[0].quickReply.items[0].action.label", id="quick reply without label"),
    pytest.param([text(), text(quickReply=quick_reply(postback(data="d" * 301)))],
                 "messages[1].quickReply.items[0].action.data", id="data of 301"),
    pytest.param([image("http://example.jp/a.jpg")], "messages[0].originalContentUrl",
                 id="plain http image"),
    pytest.param([image("https://example.jp/" + "a" * 2000)], "messages[0].originalContentUrl",
                 id="image url over 2000"),
    pytest.param([flex("あ" * 1501)], "messages[0].altText", id="flex alt text of 1501"),
    pytest.param([{"type": "flex", "contents": {"type": "bubble"}}], "messages[0].altText",
                 id="flex without alt text"),
]


@pytest.mark.parametrize("messages", ACCEPTED)
def test_a_push_within_line_limits_is_accepted(line: LineApi, messages: list[Any]) -> None:
    response = line.push(ALICE, *messages)
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("messages, prop", REJECTED)
def test_a_push_beyond_line_limits_is_rejected_naming_the_property(
        line: LineApi, messages: list[Any], prop: str) -> None:
    response = line.post("/v2/bot/message/push", {"to": ALICE, "messages": messages})
    assert response.status_code == 400
    body = response.get_json()
    assert body["message"] == f"The request body has {len(body['details'])} error(s)"
    assert prop in [d["property"] for d in body["details"]]


def test_several_errors_are_all_reported(line: LineApi) -> None:
    response = line.push(ALICE, text(""), text("あ" * 5001))
    assert response.get_json()["message"] == "The request body has 2 error(s)"


def test_a_body_that_is_not_json_is_rejected(line: LineApi) -> None:
    response = line.post("/v2/bot/message/push", data=b"{not json",
                         content_type="application/json")
    assert response.status_code == 400
