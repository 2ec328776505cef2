"""Composing: LINE's limits are checked when staff write, with the reason."""
from __future__ import annotations

import pytest

from broadcast.compose import (ComposeError, event_flex, image_message, notice_flex, text_message, validate_messages,
                               validate_title)


def test_text_image_and_both_flex_templates_pass() -> None:
    messages = [text_message("【みなと市】秋祭りのお知らせ"), image_message("https://city.example.jp/a.jpg"),
                notice_flex("粗大ごみ受付", "受付時間が変わります", "https://city.example.jp/gomi"),
                event_flex("秋祭り", "11月3日（月・祝）10時〜", "中央公園", url="https://city.example.jp/matsuri")]
    assert validate_messages(messages) == messages
    assert messages[2]["contents"]["footer"]["contents"][0]["action"]["label"] == "詳しく見る"


@pytest.mark.parametrize(("messages", "reason"), [
    ([], "1 to 5"),
    ([text_message("お知らせ")] * 6, "1 to 5"),
    ([text_message("あ" * 5001)], "5001 characters"),
    ([text_message("　")], "empty"),
    ([image_message("http://city.example.jp/a.jpg")], "https://"),
    ([image_message("https://city.example.jp/" + "a" * 2000)], "2000"),
    ([{"type": "flex", "altText": "", "contents": {}}], "altText"),
    ([{"type": "video", "originalContentUrl": "https://x"}], "cannot be broadcast"),
])
def test_a_message_over_lines_limits_is_refused_with_the_reason(messages: list, reason: str) -> None:
    with pytest.raises(ComposeError, match=reason):
        validate_messages(messages)


def test_a_title_is_needed_but_not_a_novel() -> None:
    assert validate_title("  秋祭り ") == "秋祭り"
    with pytest.raises(ComposeError):
        validate_title(" ")
    with pytest.raises(ComposeError):
        validate_title("題" * 101)
