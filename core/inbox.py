"""The webhook inbox: events are stored before LINE gets its 200, then claimed and processed by the workers.

Services here take a Session and never commit; the webhook view and the workers own the transactions.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from core.models import InboxEvent, InboxStatus

MAX_ERROR_LENGTH = 200
MAX_ATTEMPTS = 3
# Waits before the 2nd and 3rd tries: long enough for a database or LINE hiccup to pass.
RETRY_DELAYS = (timedelta(seconds=10), timedelta(seconds=60))


def store_events(executor: Session | Connection, events: Iterable[Mapping[str, Any]], *, now: datetime) -> list[int]:
    """Insert events keyed by webhookEventId; redeliveries of stored events are dropped. Returns new row ids.

    Takes a plain Connection too: the webhook stores with Core, which costs a fraction of an ORM
    session on the path that must acknowledge LINE fast.
    """
    rows = [_row_for(event, now) for event in events]
    if not rows:
        return []
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    # ON CONFLICT DO NOTHING keeps two concurrent deliveries of one event from both landing,
    # which a SELECT-then-INSERT would not. One statement for any number of rows, so it is
    # compiled once and cached (a multi-row VALUES would be compiled on every webhook).
    statement = _INSERT_IGNORING_DUPLICATES[bind.dialect.name]
    return sorted(executor.execute(statement, rows).scalars().all())


_INSERT_IGNORING_DUPLICATES = {
    name: insert(InboxEvent.__table__)
    .on_conflict_do_nothing(index_elements=["webhook_event_id"])
    .returning(InboxEvent.__table__.c.id)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}


def _row_for(event: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    # An event kind newer than the SDK is stored unchecked: its parts may be of any shape and length
    # (clipped to the columns; the whole event stays in the payload).
    source, message, delivery = (_mapping(event.get(name)) for name in ("source", "message", "deliveryContext"))
    mode = _clipped(event.get("mode"), 16) or "active"
    timestamp = event.get("timestamp")
    return {
        "webhook_event_id": event["webhookEventId"],
        "event_type": _clipped(event["type"], 40),
        "message_type": _clipped(message.get("type"), 40),
        "mode": mode,
        "is_redelivery": bool(delivery.get("isRedelivery", False)),
        "line_user_id": _clipped(source.get("userId"), 64),
        "payload": dict(event),
        # Standby events belong to another channel's conversation: keep, never answer.
        "status": InboxStatus.PENDING if mode == "active" else InboxStatus.IGNORED,
        "received_at": now,
        "event_time": datetime.fromtimestamp(timestamp / 1000, timezone.utc) if isinstance(timestamp, int) else None,
    }


def _clipped(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def claim_due(session: Session, *, now: datetime, limit: int, inbox_id: int | None = None) -> list[InboxEvent]:
    """Lock and return up to `limit` of the oldest events due for processing (or just `inbox_id`, if due).

    A citizen's events are answered strictly in order, however many workers share the queue: an
    event is claimable only while no older due event of the same citizen is still pending, and an
    event another worker holds stays pending until that worker commits. So the photo and the
    location sent right after it never race each other through a damage report, and a batch holds
    at most one event per citizen (the next one is claimed once this one is done).
    """
    earlier = aliased(InboxEvent)
    earlier_one_pending = (
        select(earlier.id)
        .where(earlier.line_user_id == InboxEvent.line_user_id, earlier.id < InboxEvent.id,
               earlier.status == InboxStatus.PENDING, _due(earlier, now))
        .exists()
    )
    statement = (
        select(InboxEvent)
        .where(InboxEvent.status == InboxStatus.PENDING, _due(InboxEvent, now), ~earlier_one_pending)
        .order_by(InboxEvent.id)
        .limit(limit)
        # SKIP LOCKED lets any number of PostgreSQL workers share the queue; SQLite ignores it
        # (its single writer lock already serialises the embedded worker).
        .with_for_update(skip_locked=True, of=InboxEvent)
    )
    if inbox_id is not None:
        statement = statement.where(InboxEvent.id == inbox_id)
    return list(session.scalars(statement))


def _due(events: type[InboxEvent], now: datetime) -> ColumnElement[bool]:
    # An event waiting for its retry does not hold back its citizen's later events: it failed
    # already, and a citizen should not wait a minute for an answer because of it.
    return or_(events.next_attempt_at.is_(None), events.next_attempt_at <= now)


def waiting_message_events(session: Session, *, after_id: int, limit: int) -> list[tuple[int, str, datetime]]:
    """(id, LINE user id, received at) of pending message events queued behind `after_id`, oldest first.

    Read without locks: it only tells whom to show LINE's loading animation while they wait.
    """
    statement = (
        select(InboxEvent.id, InboxEvent.line_user_id, InboxEvent.received_at)
        .where(InboxEvent.status == InboxStatus.PENDING, InboxEvent.id > after_id,
               InboxEvent.event_type == "message", InboxEvent.line_user_id.is_not(None),
               # the animation shows in a one-to-one chat; group members' messages are not answered
               InboxEvent.payload["source"]["type"].as_string() == "user")
        .order_by(InboxEvent.id)
        .limit(limit)
    )
    return [(row.id, row.line_user_id, row.received_at) for row in session.execute(statement)]


def mark_done(event: InboxEvent, *, now: datetime, status: InboxStatus = InboxStatus.DONE) -> None:
    """Record that an event was processed (or deliberately ignored)."""
    event.status = status
    event.attempts += 1
    event.processed_at = now
    event.error = None


def record_failure(session: Session, inbox_id: int, error: BaseException, *, now: datetime) -> InboxEvent | None:
    """Count a failed attempt and schedule the next; after MAX_ATTEMPTS the event is parked as FAILED."""
    event = session.get(InboxEvent, inbox_id)
    if event is None:
        return None
    event.attempts += 1
    # The exception's type only: messages can quote the citizen's text.
    event.error = type(error).__name__[:MAX_ERROR_LENGTH]
    event.processed_at = now
    if event.attempts >= MAX_ATTEMPTS:
        event.status = InboxStatus.FAILED
    else:
        event.next_attempt_at = now + RETRY_DELAYS[min(event.attempts, len(RETRY_DELAYS)) - 1]
    return event


def count_pending(session: Session) -> int:
    """How many events wait to be processed (queue depth)."""
    return session.scalar(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == InboxStatus.PENDING)) or 0
