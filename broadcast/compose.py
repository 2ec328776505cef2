"""Composing a broadcast's messages: builders for text, image and two Flex templates, and LINE's limits.

Pure. Everything is checked here, at compose time, so that staff hear the reason now rather than
LINE answering 400 to half a million citizens later.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from broadcast import texts

MAX_MESSAGES = 5            # LINE: at most 5 message objects per call
MAX_TEXT = 5000             # LINE: characters in one text message
MAX_URL = 2000              # LINE: characters in an image URL
MAX_ALT_TEXT = 400          # LINE: a Flex message's altText
MAX_FLEX_BYTES = 30_000     # LINE: a Flex message's JSON size
MAX_TITLE = 100

Message = dict[str, Any]


class ComposeError(ValueError):
    """The messages break one of LINE's rules; the message says which and where."""


def text_message(text: str) -> Message:
    """A text message."""
    return {"type": "text", "text": text}


def image_message(url: str, preview_url: str | None = None) -> Message:
    """An image message; LINE needs an https URL for the image and its preview."""
    return {"type": "image", "originalContentUrl": url, "previewImageUrl": preview_url or url}


def notice_flex(title: str, body: str, url: str | None = None) -> Message:
    """The お知らせ card: a title, a paragraph and an optional 詳しく見る button."""
    bubble: dict[str, Any] = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": [
        {"type": "text", "text": title, "weight": "bold", "size": "lg", "wrap": True},
        {"type": "text", "text": body, "size": "sm", "wrap": True}]}}
    if url:
        bubble["footer"] = _link_footer(texts.NOTICE_LINK, url)
    return {"type": "flex", "altText": title[:MAX_ALT_TEXT], "contents": bubble}


def event_flex(title: str, when: str, place: str, body: str = "", url: str | None = None) -> Message:
    """The イベント card: title, date, place, a paragraph and an optional 詳細・申込み button."""
    rows = [_row(texts.EVENT_DATE, when), _row(texts.EVENT_PLACE, place)]
    contents: list[dict[str, Any]] = [{"type": "text", "text": title, "weight": "bold", "size": "lg", "wrap": True},
                                      {"type": "box", "layout": "vertical", "spacing": "sm", "contents": rows}]
    if body:
        contents.append({"type": "text", "text": body, "size": "sm", "wrap": True})
    bubble: dict[str, Any] = {"type": "bubble",
                              "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": contents}}
    if url:
        bubble["footer"] = _link_footer(texts.EVENT_LINK, url)
    return {"type": "flex", "altText": title[:MAX_ALT_TEXT], "contents": bubble}


def validate_messages(messages: Sequence[Message]) -> list[Message]:
    """Return the messages if LINE would take them; raise ComposeError with the reason otherwise."""
    if not 1 <= len(messages) <= MAX_MESSAGES:
        raise ComposeError(f"a broadcast holds 1 to {MAX_MESSAGES} messages, not {len(messages)}")
    for number, message in enumerate(messages, start=1):
        problem = _problem(message)
        if problem:
            raise ComposeError(f"message {number}: {problem}")
    return list(messages)


def validate_title(title: str) -> str:
    """Staff's own name for the broadcast (not sent): non-empty, at most 100 characters."""
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise ComposeError(f"the title must be 1 to {MAX_TITLE} characters")
    return title


def _problem(message: Message) -> str | None:
    kind = message.get("type")
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            return "a text message cannot be empty"
        if len(text) > MAX_TEXT:
            return f"text is {len(text)} characters; LINE allows {MAX_TEXT}"
        return None
    if kind == "image":
        return _url_problem(message.get("originalContentUrl")) or _url_problem(message.get("previewImageUrl"))
    if kind == "flex":
        alt = message.get("altText")
        if not isinstance(alt, str) or not alt.strip() or len(alt) > MAX_ALT_TEXT:
            return f"a Flex message needs an altText of 1 to {MAX_ALT_TEXT} characters"
        if not isinstance(message.get("contents"), dict):
            return "a Flex message needs its contents (a bubble or carousel)"
        size = len(json.dumps(message["contents"], ensure_ascii=False).encode())
        return f"the Flex message is {size} bytes; LINE allows {MAX_FLEX_BYTES}" if size > MAX_FLEX_BYTES else None
    return f"message type {kind!r} cannot be broadcast (text, image or flex)"


def _url_problem(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return "an image needs a URL"
    if not url.startswith("https://"):
        return f"image URL must start with https:// (LINE fetches images only over https): {url[:60]}"
    if len(url) > MAX_URL:
        return f"image URL is {len(url)} characters; LINE allows {MAX_URL}"
    return None


def _row(label: str, value: str) -> dict[str, Any]:
    return {"type": "box", "layout": "baseline", "spacing": "sm", "contents": [
        {"type": "text", "text": label, "size": "sm", "color": "#888888", "flex": 1},
        {"type": "text", "text": value or "-", "size": "sm", "wrap": True, "flex": 4}]}


def _link_footer(label: str, url: str) -> dict[str, Any]:
    return {"type": "box", "layout": "vertical", "contents": [
        {"type": "button", "style": "primary", "action": {"type": "uri", "label": label, "uri": url}}]}
