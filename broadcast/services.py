"""Broadcast services for staff: compose, preview, test-send, send now, schedule, cancel, emergency.

They take a Session and never commit; the CLI (and later the admin) owns the transaction.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broadcast import texts
from broadcast.compose import ComposeError, Message, text_message, validate_messages, validate_title
from broadcast.models import Broadcast, BroadcastStatus
from broadcast.planning import catalogue, plan_delivery, segment_size
from broadcast.recurrence import cron_fields
from broadcast.segments import Segment, check, describe

if TYPE_CHECKING:
    from core.line_gateway import LineGateway

CANCELLABLE = (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED)


class BroadcastError(Exception):
    """A staff action that cannot be done (with the reason, for the staff member)."""


def compose_broadcast(session: Session, *, title: str, messages: Sequence[Message], segment: Segment,
                      is_emergency: bool = False, created_by: str = "", now: datetime) -> Broadcast:
    """Save a draft after checking the messages against LINE's limits and the segment against the city."""
    check(segment, catalogue(session))
    broadcast = Broadcast(title=validate_title(title), messages=validate_messages(messages), segment=segment.to_dict(),
                          is_emergency=is_emergency, status=BroadcastStatus.DRAFT, created_by=created_by,
                          created_at=now, recipients=0, chunks=0)
    session.add(broadcast)
    session.flush()
    return broadcast


def preview(session: Session, broadcast_id: int) -> dict:
    """What staff check before sending: the messages, who they reach and how many."""
    broadcast = _get(session, broadcast_id)
    segment = Segment.from_dict(broadcast.segment)
    return {"id": broadcast.id, "title": broadcast.title, "status": broadcast.status.value,
            "emergency": broadcast.is_emergency, "segment": describe(segment, catalogue(session)),
            "recipients": segment_size(session, segment, emergency=broadcast.is_emergency),
            "messages": broadcast.messages, "send_at": broadcast.send_at, "repeat": broadcast.repeat}


def send_test(session: Session, line: LineGateway, broadcast_id: int, staff_line_user_ids: Sequence[str]) -> int:
    """Push the messages to staff's own LINE accounts, behind a テスト配信 notice; returns how many got it."""
    broadcast = _get(session, broadcast_id)
    messages = [text_message(texts.TEST_SEND_PREFIX), *broadcast.messages][:5]
    for line_user_id in staff_line_user_ids:
        # A fresh key each time: a test send pressed twice is meant to arrive twice.
        line.push(line_user_id, messages, retry_key=str(uuid.uuid4()))
    return len(staff_line_user_ids)


def send_now(session: Session, broadcast_id: int, *, now: datetime) -> int:
    """Queue and plan the broadcast; returns its chunk count (0: the segment matched nobody, nothing sent).

    Two staff pressing send at once: the conditional update lets exactly one of them through.
    """
    _queue(session, broadcast_id, now=now, allowed=(BroadcastStatus.DRAFT,))
    return plan_delivery(session, broadcast_id)


def schedule(session: Session, broadcast_id: int, *, at: datetime, repeat: str | None = None,
             now: datetime) -> Broadcast:
    """Send at `at` (and, with `repeat`, again on every occurrence); the scheduler picks it up."""
    if at <= now:
        raise BroadcastError(f"the time {at.isoformat()} has already passed")
    if repeat:
        cron_fields(repeat)  # raises RecurrenceError with the reason
    broadcast = _get(session, broadcast_id)
    if broadcast.status not in (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED):
        raise BroadcastError(f"broadcast {broadcast_id} is {broadcast.status.value}; only drafts can be scheduled")
    broadcast.status, broadcast.send_at, broadcast.repeat = BroadcastStatus.SCHEDULED, at, repeat
    session.flush()
    return broadcast


def cancel(session: Session, broadcast_id: int) -> Broadcast:
    """Cancel a draft or a scheduled broadcast; one that started sending cannot be called back."""
    result = session.execute(update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status.in_(CANCELLABLE))
                             .values(status=BroadcastStatus.CANCELLED).execution_options(synchronize_session=False))
    broadcast = _get(session, broadcast_id)
    session.refresh(broadcast)
    if result.rowcount != 1:
        raise BroadcastError(f"broadcast {broadcast_id} is {broadcast.status.value} and can no longer be cancelled")
    return broadcast


def fire_scheduled(session: Session, broadcast_id: int, *, now: datetime) -> Broadcast | None:
    """The scheduler's job: queue and plan the broadcast (a copy, for a repeating one). None if cancelled."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.status != BroadcastStatus.SCHEDULED:
        return None
    if not broadcast.repeat:
        _queue(session, broadcast_id, now=now, allowed=(BroadcastStatus.SCHEDULED,))
        plan_delivery(session, broadcast_id)
        return broadcast
    # One copy per occurrence (to the minute): a job run twice for the same time sends once.
    key = f"{broadcast.id}@{now:%Y-%m-%dT%H:%M}"
    existing = session.scalars(select(Broadcast).where(Broadcast.occurrence_key == key)).first()
    if existing is not None:
        return existing
    copy = Broadcast(title=broadcast.title, messages=broadcast.messages, segment=broadcast.segment,
                     is_emergency=broadcast.is_emergency, status=BroadcastStatus.QUEUED, created_by=broadcast.created_by,
                     created_at=now, parent_id=broadcast.id, occurrence_key=key, queued_at=now, recipients=0, chunks=0)
    session.add(copy)
    session.flush()
    plan_delivery(session, copy.id)
    return copy


def send_emergency(session: Session, *, text: str, areas: Sequence[str] = (), created_by: str = "",
                   now: datetime, use_broadcast_endpoint: bool = True) -> Broadcast:
    """Compose, queue and plan an emergency in one step: everyone who has not blocked us, whatever they chose."""
    if not text.strip():
        raise ComposeError("an emergency needs its text")
    messages = [text_message(text if text.startswith(texts.EMERGENCY_TITLE) else texts.EMERGENCY_TITLE + text)]
    title = ("緊急: " + text.strip().splitlines()[0])[:100] if text.strip() else ""
    broadcast = compose_broadcast(session, title=title, messages=messages, segment=Segment(areas=frozenset(areas)),
                                  is_emergency=True, created_by=created_by, now=now)
    _queue(session, broadcast.id, now=now, allowed=(BroadcastStatus.DRAFT,))
    plan_delivery(session, broadcast.id, use_broadcast_endpoint=use_broadcast_endpoint)
    return broadcast


def list_broadcasts(session: Session, *, limit: int = 50) -> list[Broadcast]:
    """The newest broadcasts first."""
    return list(session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))


def _queue(session: Session, broadcast_id: int, *, now: datetime, allowed: tuple[BroadcastStatus, ...]) -> None:
    result = session.execute(update(Broadcast).where(Broadcast.id == broadcast_id, Broadcast.status.in_(allowed))
                             .values(status=BroadcastStatus.QUEUED, queued_at=now)
                             .execution_options(synchronize_session=False))
    broadcast = _get(session, broadcast_id)
    session.refresh(broadcast)
    if result.rowcount != 1:
        raise BroadcastError(f"broadcast {broadcast_id} is {broadcast.status.value}; it was sent or cancelled already")


def _get(session: Session, broadcast_id: int) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise BroadcastError(f"no broadcast {broadcast_id}")
    return broadcast


__all__ = ["BroadcastError", "ComposeError", "compose_broadcast", "preview", "send_test", "send_now", "schedule",
           "cancel", "fire_scheduled", "send_emergency", "list_broadcasts"]
