"""The whole loop over real HTTP: the emulator plays LINE, Madoguchi answers through line-bot-sdk."""
from __future__ import annotations

import time

import requests

from tests.conftest import LiveStack
from tests.webhook_events import USER, body, sign, text_event

REPLY = "/v2/bot/message/reply"


def test_a_question_said_in_the_emulator_is_answered_through_the_sdk(stack: LiveStack) -> None:
    said = stack.say(USER, text="粗大ごみはどのように出せばよいですか")
    assert said["status"] == 200
    [reply] = stack.wait_for(REPLY, 1)
    assert reply["status"] == 200
    assert reply["body"]["replyToken"] == said["reply_token"]
    assert "粗大ごみ" in reply["body"]["messages"][0]["text"]


def test_garbage_from_a_new_user_still_gets_a_reply(stack: LiveStack) -> None:
    said = stack.say("U" + "9" * 32, text="ｑｗせｒｔｙｕ？？")
    assert said["status"] == 200
    [reply] = stack.wait_for(REPLY, 1)
    assert reply["status"] == 200 and reply["body"]["messages"][0]["text"]


def test_a_redelivered_event_is_answered_once(stack: LiveStack) -> None:
    stack.say(USER, text="住民票の写し")
    assert stack.say(USER, redeliver=True)["status"] == 200
    time.sleep(0.5)
    assert len(stack.wait_for(REPLY, 2, timeout=1.0)) == 1


def test_a_wrong_signature_over_http_gets_400(stack: LiveStack) -> None:
    raw = body(text_event("住民票"))
    response = requests.post(f"{stack.madoguchi.url}/callback", data=raw, timeout=5,
                             headers={"X-Line-Signature": sign(raw, "wrong"), "Content-Type": "application/json"})
    assert response.status_code == 400
