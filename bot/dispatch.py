"""The dispatch table: (event type, message type) → handler. One line per kind; no if/elif ladder."""
from __future__ import annotations

from handlers.context import Handler
from handlers.follow import on_follow, on_unfollow
from handlers.inquiry import on_inquiry_text
from handlers.postback import on_postback
from handlers.report import on_report_image, on_report_location, on_report_other, on_report_text
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


# While a citizen is in a multi-step conversation, these take its messages instead:
# (conversation kind, event type, message type) → handler. Postbacks always go to on_postback,
# so a citizen can tap a menu button mid-way.
CONVERSATION_DISPATCH: dict[tuple[str, str, str | None], Handler] = {
    ("inquiry", "message", "text"): on_inquiry_text,
    ("report", "message", "text"): on_report_text,
    ("report", "message", "image"): on_report_image,
    ("report", "message", "location"): on_report_location,
    ("report", "message", "video"): on_report_other,
    ("report", "message", "audio"): on_report_other,
    ("report", "message", "file"): on_report_other,
    ("report", "message", "sticker"): on_report_other,
}


def handler_for(event_type: str, message_type: str | None, conversation: str | None = None) -> Handler | None:
    """The handler for an event, or None for kinds Madoguchi stores and ignores."""
    message_type = message_type if event_type == "message" else None
    if conversation is not None:
        handler = CONVERSATION_DISPATCH.get((conversation, event_type, message_type))
        if handler is not None:
            return handler
    return DISPATCH.get((event_type, message_type))
