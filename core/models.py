"""Tables of the ground floor: LINE users, the webhook inbox and the message log."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime, utcnow, value_enum


class LineUser(Base):
    """A citizen who follows (or followed) the account. Their LINE id is personal data."""

    __tablename__ = "line_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    followed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    blocked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_message_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The language of the citizen's LINE app (from their profile at follow), for language segments.
    language: Mapped[str | None] = mapped_column(String(16))

    @property
    def is_blocked(self) -> bool:
        """True when the citizen blocked the account: nothing can reach them."""
        return self.blocked_at is not None


class InboxStatus(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    # Stored, never answered: standby-mode events (another channel answers) and kinds we do not handle.
    IGNORED = "ignored"


class InboxEvent(Base):
    """One webhook event, stored before LINE gets its 200 so that nothing acknowledged is lost."""

    __tablename__ = "webhook_inbox"
    __table_args__ = (
        Index("ix_webhook_inbox_status_id", "status", "id"),
        # for the claim's "no older pending event of this citizen" check
        Index("ix_webhook_inbox_user_status_id", "line_user_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # LINE redelivers events it thinks were not received; the unique id drops the copies.
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(40))
    message_type: Mapped[str | None] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(16), default="active")
    is_redelivery: Mapped[bool] = mapped_column(default=False)
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[InboxStatus] = mapped_column(value_enum(InboxStatus, "inbox_status"), default=InboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    event_time: Mapped[datetime | None] = mapped_column(UtcDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # After a failure the event waits before its next try, so one bad event cannot hog the queue.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoadingDotsMark(Base):
    """How far the workers have looked into the inbox for citizens to show LINE's loading animation.

    One row (id 1, created by the first look), shared: the worker holding its lock looks at what
    arrived since and moves it.
    """

    __tablename__ = "loading_dots_mark"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    looked_to: Mapped[int] = mapped_column(Integer)


class Direction(str, enum.Enum):
    INCOMING = "in"
    OUTGOING = "out"


class MessageLog(Base):
    """What was said, both ways. `text` is personal data: the retention job blanks it."""

    __tablename__ = "message_log"
    __table_args__ = (Index("ix_message_log_user_created", "line_user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    direction: Mapped[Direction] = mapped_column(value_enum(Direction, "message_direction"))
    message_type: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)
    inbox_event_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_inbox.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
