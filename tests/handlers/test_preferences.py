"""受信設定 over LINE: new followers asked once, categories toggled, an area chosen, typed commands."""
from __future__ import annotations

import pytest

from broadcast.defaults import DEMO_AREAS
from broadcast.preferences import preferences_of, seed_areas
from tests.webhook_events import USER, follow_event, postback_event, text_event


@pytest.fixture
def areas(session_factory) -> None:
    with session_factory.begin() as session:
        seed_areas(session, DEMO_AREAS)


def _last(line) -> dict:
    return line.calls[-1].messages[-1]


def _buttons(message: dict) -> dict[str, str]:
    return {item["action"]["label"]: item["action"]["data"] for item in message["quickReply"]["items"]}


def _receiving(session_factory) -> frozenset[str]:
    with session_factory() as session:
        return preferences_of(session, USER).receiving


def test_a_citizen_who_never_chose_receives_every_category(webhook, line, session_factory) -> None:
    webhook.send(follow_event())
    assert len(_receiving(session_factory)) == 11
    webhook.send(postback_event("action=prefs"))
    assert "すべての分野のお知らせをお送りしています" in _last(line)["text"]


def test_switching_a_category_off_and_on_again(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=prefs"))
    editor = _last(line)
    assert "✓ 防災・緊急（緊急情報は必ずお届けします）" in editor["text"]
    webhook.send(postback_event(_buttons(editor)["✓観光"]))
    assert "tourism" not in _receiving(session_factory)
    assert "－ 観光" in _last(line)["text"]
    webhook.send(postback_event(_buttons(_last(line))["－観光"]))
    assert "tourism" in _receiving(session_factory)


def test_emergency_messages_cannot_be_switched_off(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=prefs"))
    assert "✓防災・緊急" not in _buttons(_last(line))
    webhook.send(postback_event("action=pref_toggle&c=emergency"))
    assert "その項目は選べません" in _last(line)["text"]
    webhook.send(postback_event("action=pref_toggle&c=tourism"))
    assert "emergency" in _receiving(session_factory)


def test_choosing_an_area(webhook, line, session_factory, areas) -> None:
    webhook.send(postback_event("action=pref_area"))
    webhook.send(postback_event(_buttons(_last(line))["港地区"]))
    assert "地区：港地区" in _last(line)["text"]
    webhook.send(postback_event("action=pref_area_set&a=atlantis"))
    assert "その項目は選べません" in _last(line)["text"]


def test_typing_the_words_works_like_the_buttons(webhook, line) -> None:
    webhook.send(text_event("設定を確認"))
    assert _last(line)["text"].startswith("【現在の受信設定】")
    webhook.send(text_event("受信設定"))
    assert "切り替えられます" in _last(line)["text"]
    webhook.send(text_event("ﾒﾆｭｰ"))  # half-width katakana, as some keyboards send it
    assert "ご用件を選んでください" in _last(line)["text"]


def test_done_confirms_what_was_saved(webhook, line) -> None:
    webhook.send(postback_event("action=pref_toggle&c=tourism"))
    webhook.send(postback_event("action=pref_done"))
    assert _last(line)["text"].startswith("受信設定を保存しました。")
    assert "－ 観光" in _last(line)["text"]
