"""Delivery preference tables (受信設定): the city's categories and areas, and each citizen's choice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime


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
