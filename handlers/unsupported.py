"""Messages Madoguchi cannot use yet (stickers, video, audio, files…): a polite word, never silence."""
from __future__ import annotations

from typing import Any

from handlers import replies, texts
from handlers.context import HandlerContext


def on_unsupported_message(event: Any, ctx: HandlerContext) -> None:
    """Say kindly what the account can do with this kind of message."""
    kind = getattr(event.message, "type", "")
    ctx.reply(replies.text(texts.UNSUPPORTED_MESSAGE.get(kind, texts.UNSUPPORTED_DEFAULT),
                           quick_replies=replies.main_menu()))


def on_group_message(event: Any, ctx: HandlerContext) -> None:
    """In a group or room, point to the one-to-one chat instead of answering in public."""
    ctx.reply(replies.text(texts.GROUP_NOTICE))
