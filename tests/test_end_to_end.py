"""The whole loop over real HTTP: the emulator plays LINE, Madoguchi answers through line-bot-sdk."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from bot.app import create_app
from core.config import Settings
from emulator.app import EmulatorConfig, create_app as create_emulator
from tests.conftest import ACCESS_TOKEN, CHANNEL_SECRET, ServerThread
from tests.webhook_events import USER, body, sign, text_event


@pytest.fixture
def stack(settings: Settings, seeded_faq: None) -> Iterator[tuple[ServerThread, ServerThread]]:
    """Madoguchi (inline worker on) and the emulator, each on its own port, pointed at each other."""
    emulator = ServerThread(create_emulator(EmulatorConfig(channel_secret=CHANNEL_SECRET,
                                                           channel_access_token=ACCESS_TOKEN)))
    app = create_app(settings.with_changes(line_api_base=emulator.url, line_data_api_base=emulator.url,
                                           inline_worker=True))
    madoguchi = ServerThread(app)
    requests.post(f"{emulator.url}/_emulator/config", json={"webhook_url": madoguchi.url + "/callback"}, timeout=5)
    yield madoguchi, emulator
    madoguchi.stop()
    app.extensions["madoguchi"].worker.stop()
    app.extensions["madoguchi"].engine.dispose()
    emulator.stop()


def _wait_for_replies(emulator: ServerThread, count: int, timeout: float = 5.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        replies = requests.get(f"{emulator.url}/_emulator/requests",
                               params={"path": "/v2/bot/message/reply"}, timeout=5).json()
        if len(replies) >= count or time.monotonic() > deadline:
            return replies
        time.sleep(0.05)


def test_a_question_said_in_the_emulator_is_answered_through_the_sdk(stack) -> None:
    madoguchi, emulator = stack
    said = requests.post(f"{emulator.url}/_emulator/say",
                         json={"user_id": USER, "text": "粗大ごみはどのように出せばよいですか"}, timeout=5).json()
    assert said["status"] == 200
    [reply] = _wait_for_replies(emulator, 1)
    assert reply["status"] == 200
    assert reply["body"]["replyToken"] == said["reply_token"]
    assert "粗大ごみ" in reply["body"]["messages"][0]["text"]


def test_garbage_from_a_new_user_still_gets_a_reply(stack) -> None:
    _, emulator = stack
    said = requests.post(f"{emulator.url}/_emulator/say",
                         json={"user_id": "U" + "9" * 32, "text": "ｑｗせｒｔｙｕ？？"}, timeout=5).json()
    assert said["status"] == 200
    [reply] = _wait_for_replies(emulator, 1)
    assert reply["status"] == 200 and reply["body"]["messages"][0]["text"]


def test_a_redelivered_event_is_answered_once(stack) -> None:
    _, emulator = stack
    requests.post(f"{emulator.url}/_emulator/say", json={"user_id": USER, "text": "住民票の写し"}, timeout=5)
    again = requests.post(f"{emulator.url}/_emulator/say", json={"user_id": USER, "redeliver": True}, timeout=5)
    assert again.json()["status"] == 200
    time.sleep(0.5)
    assert len(_wait_for_replies(emulator, 2, timeout=1.0)) == 1


def test_a_wrong_signature_over_http_gets_400(stack) -> None:
    madoguchi, _ = stack
    raw = body(text_event("住民票"))
    response = requests.post(f"{madoguchi.url}/callback", data=raw, timeout=5,
                             headers={"X-Line-Signature": sign(raw, "wrong"), "Content-Type": "application/json"})
    assert response.status_code == 400
