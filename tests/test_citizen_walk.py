"""A citizen's whole visit, played through the emulator: what issue #4 promises, end to end.

follow → 受信設定 → a question answered → feedback → a question with candidates → choosing one →
an unanswerable question → an inquiry with a receipt number → a staff reply pushed back;
then `madoguchi stats --json` counts exactly that visit.
"""
from __future__ import annotations

import json
import re
import time

import pytest
import requests
from sqlalchemy import select

from bot.cli import main
from inquiries.models import Inquiry
from inquiries.services import reply_as_staff
from tests.conftest import FIXED_NOW, LiveStack
from tests.webhook_events import USER


class Citizen:
    """One citizen on LINE, seeing the bot's messages as the emulator delivers them."""

    def __init__(self, stack: LiveStack, user_id: str) -> None:
        self.stack = stack
        self.user_id = user_id
        self.seen = 0

    def do(self, **payload: object) -> list[dict]:
        """Say or tap something, and wait for the bot's answer to arrive."""
        assert self.stack.say(self.user_id, **payload)["status"] == 200
        return self.wait_for_bot()

    def wait_for_bot(self, timeout: float = 8.0) -> list[dict]:
        """The bot's new messages (at least one), in order."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entries = requests.get(f"{self.stack.emulator.url}/_emulator/messages",
                                   params={"user_id": self.user_id, "since": self.seen}, timeout=5).json()
            from_bot = [e for e in entries if e["from"] != "user"]
            if from_bot:
                self.seen = entries[-1]["seq"]
                return [e["message"] for e in from_bot]
            time.sleep(0.05)
        pytest.fail("the bot did not answer in time")

    @staticmethod
    def button(message: dict, label_start: str) -> dict:
        """The quick-reply action whose label starts with `label_start`."""
        return next(item["action"] for item in message["quickReply"]["items"]
                    if item["action"]["label"].startswith(label_start))

    def tap(self, message: dict, label_start: str) -> list[dict]:
        """Tap a postback quick reply."""
        action = self.button(message, label_start)
        return self.do(type="postback", data=action["data"])


def test_a_citizens_visit_from_follow_to_a_staff_reply(stack: LiveStack, monkeypatch, capsys) -> None:
    citizen = Citizen(stack, USER)
    greeting, offer = citizen.do(type="follow")
    assert "友だち追加ありがとうございます" in greeting["text"]

    [editor] = citizen.tap(offer, "受信設定をする")
    [editor] = citizen.tap(editor, "✓観光")
    assert "－ 観光" in editor["text"]
    [saved] = citizen.tap(editor, "完了")
    assert saved["text"].startswith("受信設定を保存しました")

    [answer] = citizen.do(text="避難所はどこにありますか")
    assert "ハザードマップ" in answer["text"]
    [thanks] = citizen.tap(answer, "役に立った")
    assert "ご評価ありがとうございます" in thanks["text"]

    [offered] = citizen.do(text="住民票")
    assert offered["text"].startswith("もしかして")
    [chosen] = citizen.tap(offered, "1.")
    assert "住民票の写しは市民課窓口" in chosen["text"]

    [apology] = citizen.do(text="宇宙ステーションへの行き方を教えてください")
    assert "申し訳ありません" in apology["text"]
    [receipt] = citizen.tap(apology, "職員に問い合わせる")
    number = re.search(r"受付番号：(\d{4}-\d{4})", receipt["text"]).group(1)

    runtime = stack.app.extensions["madoguchi"]
    with runtime.session_factory.begin() as session:
        inquiry = session.scalars(select(Inquiry).where(Inquiry.receipt_number == number)).one()
        reply_as_staff(session, inquiry.id, "宇宙ステーションへの行き方は市では承っておりません。", staff_name="市民課 山田",
                       now=FIXED_NOW)
    runtime.worker.notify()  # what the admin does after a staff reply
    [pushed] = citizen.wait_for_bot()
    assert number in pushed["text"] and "市では承っておりません" in pushed["text"]
    assert stack.recorded("/v2/bot/message/push")[-1]["retry_key"]

    monkeypatch.setenv("DATABASE_URL", runtime.settings.database_url)
    capsys.readouterr()
    assert main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert {key: stats[key] for key in ("total_questions", "meaningless", "meaningful", "unanswered",
                                        "answer_rate", "helpful_rate", "friends")} == {
        "total_questions": 3, "meaningless": 0, "meaningful": 3, "unanswered": 1,
        "answer_rate": round(2 / 3, 4), "helpful_rate": 1.0, "friends": 1}
