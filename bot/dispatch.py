"""The dispatch table: (event type, message type) → handler. One line per kind; no if/elif ladder."""
from __future__ import annotations

from handlers.context import Handler
from handlers.follow import on_follow, on_unfollow
from handlers.postback import on_postback
from handlers.text import on_text
from handlers.unsupported import on_group_message, on_unsupported_message

# A message type of None matches every event of that type that is not a message.
DISPATCH: dict[tuple[str, str | None], Handler] = {
    ("follow", None): on_follow,
    ("unfollow", None): on_unfollow,
    ("join", None): on_group_message,
    ("postback", None): on_postback,
    ("message", "text"): on_text,
    ("message", "sticker"): on_unsupported_message,
    ("message", "image"): on_unsupported_message,
    ("message", "video"): on_unsupported_message,
    ("message", "audio"): on_unsupported_message,
    ("message", "file"): on_unsupported_message,
    ("message", "location"): on_unsupported_message,
}


def handler_for(event_type: str, message_type: str | None) -> Handler | None:
    """The handler for an event, or None for kinds Madoguchi stores and ignores."""
    return DISPATCH.get((event_type, message_type if event_type == "message" else None))
