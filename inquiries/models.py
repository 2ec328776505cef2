"""Inquiry tables: the inquiry with its status and department, and its conversation."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UtcDateTime, value_enum


class InquiryStatus(str, enum.Enum):
    NEW = "new"
    ASSIGNED = "assigned"
    ANSWERED = "answered"
    CLOSED = "closed"


class Inquiry(Base):
    """A question passed to city staff. The receipt number is what the citizen quotes on the phone."""

    __tablename__ = "inquiries"
    __table_args__ = (Index("ix_inquiries_status_created", "status", "created_at"),
                      Index("ix_inquiries_line_user_status", "line_user_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default="line")
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    web_session_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[InquiryStatus] = mapped_column(value_enum(InquiryStatus, "inquiry_status"), default=InquiryStatus.NEW)
    department: Mapped[str] = mapped_column(String(100), default="")
    assigned_to: Mapped[str] = mapped_column(String(100), default="")
    question_log_id: Mapped[int | None] = mapped_column(ForeignKey("question_log.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    messages: Mapped[list[InquiryMessage]] = relationship(
        back_populates="inquiry", cascade="all, delete-orphan", order_by="InquiryMessage.id", lazy="selectin")

    @property
    def is_open(self) -> bool:
        """Open inquiries take the citizen's follow-up messages."""
        return self.status is not InquiryStatus.CLOSED


class InquiryMessage(Base):
    """One message of an inquiry: the citizen's words or a staff reply. `text` is personal data."""

    __tablename__ = "inquiry_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(16))  # citizen | staff
    staff_name: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # A staff reply is pushed to the citizen; the retry key is stored before the first attempt.
    push_retry_key: Mapped[str | None] = mapped_column(String(36))
    pushed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    push_error: Mapped[str | None] = mapped_column(String(100))

    inquiry: Mapped[Inquiry] = relationship(back_populates="messages")
