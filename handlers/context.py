"""What every handler receives besides its event: one shape for all, as in python-telegram-bot."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings
from core.line_gateway import MAX_MESSAGES_PER_CALL, LineMessage
from core.bookkeeping import Bookkeeping
from core.models import Direction, LineUser
from faq.answering import FaqAnswerer


@dataclass
class HandlerContext:
    """The transaction, the citizen, the clock and the replies a handler builds.

    Replies are collected, not sent: the dispatcher sends them after the event's transaction
    commits, so a citizen is never told something the database then forgets.
    """

    session: Session
    now: datetime
    answerer: FaqAnswerer
    inbox_event_id: int
    line_user: LineUser | None
    books: Bookkeeping  # the batch's message log and inbox status, written when the batch ends
    replies: list[LineMessage] = field(default_factory=list)
    # The app's settings, for handlers that read city configuration (damage reports: boundary, categories).
    settings: Settings | None = None

    @property
    def line_user_id(self) -> str | None:
        """The citizen's LINE id (None for events from no user: groups, rooms)."""
        return self.line_user.line_user_id if self.line_user else None

    def reply(self, *messages: LineMessage) -> None:
        """Queue messages for the reply (at most five per event: LINE's limit per call)."""
        if len(self.replies) + len(messages) > MAX_MESSAGES_PER_CALL:
            raise ValueError("a reply holds at most five messages")
        self.replies.extend(messages)
        if self.line_user is not None:
            for message in messages:
                self.books.log_message(
                    line_user_id=self.line_user.line_user_id, direction=Direction.OUTGOING,
                    message_type=message.get("type", "unknown"), text=message.get("text") or message.get("altText"),
                    inbox_event_id=self.inbox_event_id, at=self.now)


# Every handler: (a line-bot-sdk event model — FollowEvent, MessageEvent, … —, the context).
Handler = Callable[[Any, HandlerContext], None]
