"""The menu's 緊急情報 and お知らせ: the latest broadcasts again, news filtered by the citizen's 受信設定."""
from __future__ import annotations

from datetime import timedelta

from broadcast.compose import text_message
from broadcast.preferences import set_categories
from broadcast.segments import Segment
from broadcast.services import compose_broadcast, send_emergency, send_now
from tests.conftest import FIXED_NOW
from tests.webhook_events import USER, follow_event, postback_event


def _broadcast(session_factory, text: str, segment: Segment = Segment(), minutes: int = 0) -> None:
    with session_factory.begin() as session:
        broadcast = compose_broadcast(session, title=text[:20], messages=[text_message(text)], segment=segment,
                                      now=FIXED_NOW)
        send_now(session, broadcast.id, now=FIXED_NOW + timedelta(minutes=minutes))


def test_the_emergency_button_shows_the_latest_warnings_newest_first(webhook, line, session_factory) -> None:
    webhook.send(follow_event())
    with session_factory.begin() as session:
        send_emergency(session, text="大雨警報が発表されました", now=FIXED_NOW)
        send_emergency(session, text="避難指示を発令しました", now=FIXED_NOW + timedelta(minutes=30))
    webhook.send(postback_event("action=emergency"))
    text = line.calls[-1].messages[-1]["text"]
    assert text.startswith("【最新の緊急情報】")
    assert text.index("避難指示") < text.index("大雨警報")
    assert "4月1日 18:30" in text  # 09:30 UTC, shown in the city's time


def test_the_emergency_button_says_so_when_there_is_none(webhook, line) -> None:
    webhook.send(postback_event("action=emergency"))
    assert line.calls[-1].messages[-1]["text"] == "現在、お知らせしている緊急情報はありません。"


def test_news_shows_only_what_the_citizens_choices_would_have_delivered(webhook, line, session_factory) -> None:
    webhook.send(follow_event())
    with session_factory.begin() as session:
        set_categories(session, USER, ["events"], now=FIXED_NOW)
    _broadcast(session_factory, "秋祭りを開催します", Segment(categories=frozenset({"events"})))
    _broadcast(session_factory, "乳幼児健診のお知らせ", Segment(categories=frozenset({"childcare"})), minutes=5)
    webhook.send(postback_event("action=news"))
    text = line.calls[-1].messages[-1]["text"]
    assert "秋祭り" in text and "乳幼児健診" not in text
