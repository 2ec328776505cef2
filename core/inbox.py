"""The webhook inbox: events are stored before LINE gets its 200, then processed one transaction each.

Services here take a Session and never commit; the webhook view and the workers own the transactions.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.models import InboxEvent, InboxStatus

MAX_ERROR_LENGTH = 200
MAX_ATTEMPTS = 3
# Waits before the 2nd and 3rd tries: long enough for a database or LINE hiccup to pass.
RETRY_DELAYS = (timedelta(seconds=10), timedelta(seconds=60))


def store_events(session: Session, events: Iterable[Mapping[str, Any]], *, now: datetime) -> list[int]:
    """Insert events keyed by webhookEventId; redeliveries of stored events are dropped. Returns new row ids."""
    rows = [_row_for(event, now) for event in events]
    if not rows:
        return []
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # ON CONFLICT DO NOTHING keeps two concurrent deliveries of one event from both landing,
    # which a SELECT-then-INSERT would not.
    statement = (
        insert(InboxEvent)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(InboxEvent.id)
    )
    return sorted(session.scalars(statement).all())


def _row_for(event: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    source = event.get("source") or {}
    message = event.get("message") or {}
    delivery = event.get("deliveryContext") or {}
    mode = event.get("mode") or "active"
    timestamp = event.get("timestamp")
    return {
        "webhook_event_id": event["webhookEventId"],
        "event_type": event["type"],
        "message_type": message.get("type") if isinstance(message, Mapping) else None,
        "mode": mode,
        "is_redelivery": bool(delivery.get("isRedelivery", False)),
        "line_user_id": source.get("userId"),
        "payload": dict(event),
        # Standby events belong to another channel's conversation: keep, never answer.
        "status": InboxStatus.PENDING if mode == "active" else InboxStatus.IGNORED,
        "received_at": now,
        "event_time": datetime.fromtimestamp(timestamp / 1000, timezone.utc) if isinstance(timestamp, int) else None,
    }


def claim_next(session: Session, *, now: datetime) -> InboxEvent | None:
    """Lock and return the oldest event due for processing, skipping ones another worker holds."""
    statement = (
        select(InboxEvent)
        .where(InboxEvent.status == InboxStatus.PENDING,
               or_(InboxEvent.next_attempt_at.is_(None), InboxEvent.next_attempt_at <= now))
        .order_by(InboxEvent.id)
        .limit(1)
        # SKIP LOCKED lets any number of PostgreSQL workers share the queue; SQLite ignores it
        # (its single writer lock already serialises the embedded worker).
        .with_for_update(skip_locked=True)
    )
    return session.scalars(statement).first()


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
