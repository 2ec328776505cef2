"""Builders for the LINE messages handlers send: plain dicts in LINE's JSON shape."""
from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from core.line_gateway import LineMessage
from handlers import texts

MAX_TEXT_LENGTH = 5000       # LINE's limit for one text message
MAX_QUICK_REPLY_ITEMS = 13   # LINE's limit
MAX_LABEL_LENGTH = 20        # LINE's limit for an action label
MAX_POSTBACK_DATA = 300      # LINE's limit


def text(body: str, *, quick_replies: Sequence[dict] = ()) -> LineMessage:
    """A text message, cut to LINE's limit, with optional quick-reply actions."""
    message: LineMessage = {"type": "text", "text": body[:MAX_TEXT_LENGTH]}
    if quick_replies:
        items = [{"type": "action", "action": action} for action in quick_replies[:MAX_QUICK_REPLY_ITEMS]]
        message["quickReply"] = {"items": items}
    return message


def message_action(label: str, sent_text: str | None = None) -> dict:
    """A quick reply that sends text as if the citizen typed it."""
    return {"type": "message", "label": shorten(label, MAX_LABEL_LENGTH), "text": sent_text or label}


def postback_action(label: str, action: str, **params: str) -> dict:
    """A quick reply that sends a postback `action=…&…`, echoing the label in the chat."""
    data = urlencode({"action": action, **params})
    if len(data) > MAX_POSTBACK_DATA:
        raise ValueError("postback data longer than LINE allows")
    return {"type": "postback", "label": shorten(label, MAX_LABEL_LENGTH), "data": data,
            "displayText": label}


def main_menu() -> list[dict]:
    """The actions offered after a greeting or a message we could not use."""
    return [postback_action(texts.MENU_ASK, "ask"), postback_action(texts.MENU_BROWSE, "browse")]


def shorten(value: str, limit: int) -> str:
    """Cut to `limit` characters, marking the cut with an ellipsis."""
    return value if len(value) <= limit else value[: limit - 1] + "…"
