"""Delivery preference tables (受信設定): the city's categories and areas, and each citizen's choice."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime, utcnow, value_enum


class DeliveryCategory(Base):
    """A kind of message citizens can choose to receive (防災・緊急, 子育て, …)."""

    __tablename__ = "delivery_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)   # stable, used in postbacks and the API
    name: Mapped[str] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Emergency messages reach everyone whatever they chose; the category only labels them.
    is_emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Area(Base):
    """A district of the city (地区) citizens can say they live in."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class RecipientSettings(Base):
    """A citizen's delivery choices as a whole: area, and whether they were asked yet."""

    __tablename__ = "recipient_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    # Until a citizen chooses, they receive every category (what following the account promised).
    has_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    asked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RecipientCategory(Base):
    """One category a citizen chose to receive."""

    __tablename__ = "recipient_categories"

    line_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("delivery_categories.id", ondelete="CASCADE"),
                                             primary_key=True)


# --- Broadcasts and their delivery (issue #6) --------------------------------------------------

class BroadcastStatus(str, enum.Enum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"   # waits for the scheduler (once, or repeating)
    QUEUED = "queued"         # send was pressed; chunks are being planned
    SENDING = "sending"       # chunks planned; workers deliver them
    DONE = "done"
    EMPTY = "empty"           # the segment matched nobody: nothing was sent
    CANCELLED = "cancelled"


class ChunkStatus(str, enum.Enum):
    PENDING = "pending"
    SENT = "sent"             # LINE accepted it (200/202, or 409 for a retry key it had accepted)
    FAILED = "failed"         # LINE refused it (4xx other than 409/429) or retries ran out


class ChunkKind(str, enum.Enum):
    MULTICAST = "multicast"   # up to 500 listed recipients
    BROADCAST = "broadcast"   # every follower, one call (LINE allows 60 an hour)


class Broadcast(Base):
    """A message staff composed for many citizens: its segment, its timing and its delivery summary."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    messages: Mapped[list] = mapped_column(JSON)          # 1..5 LINE message objects, validated at compose
    segment: Mapped[dict] = mapped_column(JSON)           # broadcast.segments.Segment.to_dict()
    is_emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[BroadcastStatus] = mapped_column(value_enum(BroadcastStatus, "broadcast_status"),
                                                    default=BroadcastStatus.DRAFT)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    send_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    repeat: Mapped[str | None] = mapped_column(String(40))   # e.g. "first-monday@09:00" (broadcast.recurrence)
    # A repeating broadcast sends copies; each copy knows its parent and the occurrence it is,
    # so a job that fires twice for the same occurrence still makes one copy.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="SET NULL"))
    occurrence_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeliveryChunk(Base):
    """One LINE call of a broadcast: at most 500 recipients and a retry key stored before the first attempt."""

    __tablename__ = "delivery_chunks"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "seq", name="uq_delivery_chunks_broadcast_seq"),
        Index("ix_delivery_chunks_due", "status", "priority", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[ChunkKind] = mapped_column(value_enum(ChunkKind, "chunk_kind"), default=ChunkKind.MULTICAST)
    # Lower goes first: emergencies jump ahead of chunks already waiting.
    priority: Mapped[int] = mapped_column(Integer, default=100)
    recipients: Mapped[list] = mapped_column(JSON)        # LINE user ids; empty for a broadcast-endpoint chunk
    size: Mapped[int] = mapped_column(Integer, default=0)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[ChunkStatus] = mapped_column(value_enum(ChunkStatus, "chunk_status"), default=ChunkStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
