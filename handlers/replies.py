"""Builders for the LINE messages handlers send: plain dicts in LINE's JSON shape."""
from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from core.line_gateway import LineMessage
from handlers import report_texts, texts

MAX_TEXT_LENGTH = 5000       # LINE's limit for one text message
MAX_QUICK_REPLY_ITEMS = 13   # LINE's limit
MAX_LABEL_LENGTH = 20        # LINE's limit for an action label
MAX_POSTBACK_DATA = 300      # LINE's limit
MAX_DISPLAY_TEXT = 300       # LINE's limit for what a postback shows in the chat


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


def postback_action(label: str, action: str, *, display_text: str | None = None, **params: str) -> dict:
    """A quick reply that sends a postback `action=…&…`, echoing the label (or display_text) in the chat."""
    data = urlencode({"action": action, **params})
    if len(data) > MAX_POSTBACK_DATA:
        raise ValueError("postback data longer than LINE allows")
    return {"type": "postback", "label": shorten(label, MAX_LABEL_LENGTH), "data": data,
            "displayText": shorten(display_text or label, MAX_DISPLAY_TEXT)}


def main_menu() -> list[dict]:
    """The actions offered after a greeting or a message we could not use."""
    return [postback_action(texts.MENU_ASK, "ask"), postback_action(texts.MENU_BROWSE, "browse"),
            postback_action(texts.MENU_INQUIRY, "inquiry"), postback_action(report_texts.MENU_REPORT, "report"),
            postback_action(texts.MENU_PREFS, "prefs")]


def shorten(value: str, limit: int) -> str:
    """Cut to `limit` characters, marking the cut with an ellipsis."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def split_text(body: str, *, limit: int = MAX_TEXT_LENGTH, max_parts: int = 4) -> list[str]:
    """Cut a long text into at most `max_parts` messages, at paragraph or sentence ends where possible."""
    parts: list[str] = []
    rest = body.strip()
    while rest and len(parts) < max_parts:
        if len(rest) <= limit:
            parts.append(rest)
            return parts
        cut = _cut_point(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:  # longer than LINE can carry in one reply: end the last part visibly
        parts[-1] = shorten(parts[-1], limit)
    return parts


def _cut_point(text_: str, limit: int) -> int:
    window = text_[:limit]
    for separator in ("\n\n", "\n", "。"):
        position = window.rfind(separator)
        if position > limit // 2:
            return position + len(separator)
    return limit
