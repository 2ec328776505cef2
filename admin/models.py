"""Staff tables: accounts with roles and departments, login attempts, and the personal-data access log."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UtcDateTime, value_enum


class Role(str, enum.Enum):
    ADMIN = "admin"        # everything, staff accounts, settings
    EDITOR = "editor"      # FAQ and broadcasts
    HANDLER = "handler"    # reports and inquiries of their own department
    VIEWER = "viewer"      # statistics, read only


class StaffUser(Base):
    """A city employee who signs in to the admin."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    role: Mapped[Role] = mapped_column(value_enum(Role, "staff_role"))
    department: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoginAttempt(Base):
    """One sign-in attempt, kept to slow down password guessing (per login and per address)."""

    __tablename__ = "staff_login_attempts"
    __table_args__ = (Index("ix_staff_login_attempts_login_at", "login", "attempted_at"),
                      Index("ix_staff_login_attempts_address_at", "address", "attempted_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AccessLogEntry(Base):
    """A staff member looked at a citizen's personal data (個人情報の閲覧記録)."""

    __tablename__ = "staff_access_log"
    __table_args__ = (Index("ix_staff_access_log_at", "accessed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))         # view_inquiry, view_report_photo, …
    subject_type: Mapped[str] = mapped_column(String(40))   # inquiry, report, question
    subject_id: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64), default="")
    accessed_at: Mapped[datetime] = mapped_column(UtcDateTime())
