"""Report tables: the report (a draft until submitted), its photos, history, subscribers and pushes."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UtcDateTime, value_enum
from reports.status import ReportStatus, is_open


class Report(Base):
    """A damage report. While status is draft, `step` is where the citizen stands in the flow.

    `line_user_id`, `place_text`, `address` and `description` are personal data: never in public
    responses or logs.
    """

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_status_category", "status", "category_code"),
                      Index("ix_reports_line_user_status", "line_user_id", "status"),
                      Index("ix_reports_submitted_at", "submitted_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    status: Mapped[ReportStatus] = mapped_column(value_enum(ReportStatus, "report_status"), default=ReportStatus.DRAFT)
    step: Mapped[str] = mapped_column(String(32), default="category")
    channel: Mapped[str] = mapped_column(String(16), default="line")  # line | open311
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    category_code: Mapped[str] = mapped_column(String(40), default="")
    department: Mapped[str] = mapped_column(String(40), default="")
    area: Mapped[str] = mapped_column(String(40), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str] = mapped_column(String(200), default="")
    place_text: Mapped[str] = mapped_column(String(500), default="")
    is_urgent: Mapped[bool | None] = mapped_column(Boolean)
    description: Mapped[str] = mapped_column(Text, default="")
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    is_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    status_notes: Mapped[str] = mapped_column(String(500), default="")  # the public word on the status
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # drafts only

    photos: Mapped[list[ReportPhoto]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportPhoto.position", lazy="selectin")

    @property
    def is_open(self) -> bool:
        """Submitted and still being worked."""
        return is_open(self.status)

    @property
    def point(self) -> tuple[float, float] | None:
        """(latitude, longitude), when the citizen sent a location."""
        return None if self.latitude is None or self.longitude is None else (self.latitude, self.longitude)


class PhotoStatus(str, enum.Enum):
    PENDING = "pending"      # waiting to be downloaded from LINE
    STORED = "stored"
    REJECTED = "rejected"    # not an image, too large
    FAILED = "failed"        # LINE never gave it to us (content expired)
    REDACTED = "redacted"    # staff removed it (a face, a number plate)


class ReportPhoto(Base):
    """A photo of a report: LINE's message id until downloaded, then a key in media storage."""

    __tablename__ = "report_photos"
    __table_args__ = (Index("ix_report_photos_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    line_message_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[PhotoStatus] = mapped_column(value_enum(PhotoStatus, "report_photo_status"),
                                                default=PhotoStatus.PENDING)
    storage_key: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40), default="")
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(100))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stored_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    report: Mapped[Report] = relationship(back_populates="photos")


class ReportEvent(Base):
    """One line of a report's history: submitted, a status change, a staff note, hidden, redacted."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    old_status: Mapped[str | None] = mapped_column(String(32))
    new_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")            # staff only
    public_message: Mapped[str] = mapped_column(Text, default="")  # told to the reporter
    staff_id: Mapped[int | None] = mapped_column(Integer)
    staff_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReportSubscription(Base):
    """A citizen who hears about a report's status: its reporter, and reporters of its duplicates."""

    __tablename__ = "report_subscriptions"
    __table_args__ = (UniqueConstraint("report_id", "line_user_id", name="uq_report_subscriptions_report_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    # The receipt the citizen holds: their own report's, even when they follow someone else's.
    receipt_number: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReportNotice(Base):
    """A push waiting for the worker: a status change, or a photo we could not use."""

    __tablename__ = "report_notices"
    __table_args__ = (Index("ix_report_notices_pending", "pushed_at", "push_error"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("report_events.id", ondelete="CASCADE"))
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("report_photos.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # status | photo_rejected
    line_user_id: Mapped[str] = mapped_column(String(64))
    receipt_number: Mapped[str] = mapped_column(String(20), default="")
    # Stored before the first attempt: a retry after a crash reuses it, and LINE drops the copy.
    retry_key: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    pushed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    push_error: Mapped[str | None] = mapped_column(String(100))

    report: Mapped[Report] = relationship()
    event: Mapped[ReportEvent | None] = relationship()
    photo: Mapped[ReportPhoto | None] = relationship()
