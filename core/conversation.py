"""Multi-step conversations (an inquiry being written, a damage report, delivery preferences).

A citizen is in at most one at a time. The state is a row with an expiry: a citizen who walks
away mid-way is not trapped — after the expiry, their next message is an ordinary question again.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, UtcDateTime

DEFAULT_TTL = timedelta(minutes=30)


class ConversationState(Base):
    """Where a citizen stands in a multi-step conversation."""

    __tablename__ = "conversation_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))    # inquiry | report | …: the feature that owns it
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


def current_conversation(session: Session, line_user_id: str, *, now: datetime) -> ConversationState | None:
    """The citizen's unexpired conversation, if any."""
    state = session.scalars(select(ConversationState).where(ConversationState.line_user_id == line_user_id)).first()
    if state is None or state.expires_at <= now:
        return None
    return state


def enter_conversation(session: Session, line_user_id: str, kind: str, step: str, *, now: datetime,
                       data: dict[str, Any] | None = None, ttl: timedelta = DEFAULT_TTL) -> ConversationState:
    """Start (or replace) the citizen's conversation."""
    state = session.scalars(select(ConversationState).where(ConversationState.line_user_id == line_user_id)).first()
    if state is None:
        state = ConversationState(line_user_id=line_user_id)
        session.add(state)
    state.kind, state.step, state.data = kind, step, dict(data or {})
    state.updated_at, state.expires_at = now, now + ttl
    session.flush()
    return state


def advance_conversation(state: ConversationState, step: str, *, now: datetime,
                         data: dict[str, Any] | None = None, ttl: timedelta = DEFAULT_TTL) -> None:
    """Move to another step, keeping the conversation alive."""
    state.step = step
    if data is not None:
        state.data = {**state.data, **data}  # a new dict, so SQLAlchemy sees the change
    state.updated_at, state.expires_at = now, now + ttl


def leave_conversation(session: Session, line_user_id: str) -> None:
    """End the citizen's conversation, whatever it was."""
    state = session.scalars(select(ConversationState).where(ConversationState.line_user_id == line_user_id)).first()
    if state is not None:
        session.delete(state)
