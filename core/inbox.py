"""The webhook inbox: events are stored before LINE gets its 200, then claimed and processed by the workers.

Services here take a Session and never commit; the webhook view and the workers own the transactions.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from core.db import per_dialect
from core.models import InboxEvent, InboxStatus, LoadingDotsMark

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


_INSERT_IGNORING_DUPLICATES = per_dialect(
    lambda insert: insert(InboxEvent.__table__)
    .on_conflict_do_nothing(index_elements=["webhook_event_id"])
    .returning(InboxEvent.__table__.c.id))


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


# How far past the oldest due event a claim looks, in batches: a few first, then further when other
# workers hold most of that stretch, then the whole queue.
CLAIM_WINDOWS = (4, 32, None)


def claim_due(session: Session, *, now: datetime, limit: int, inbox_id: int | None = None) -> list[InboxEvent]:
    """Lock and return up to `limit` of the oldest events due for processing (or just `inbox_id`, if due).

    A citizen's events are answered strictly in order, however many workers share the queue: an
    event is returned only when every older due event of the same citizen is returned with it, so
    one that another worker holds (pending until that worker commits) holds back the citizen's later
    ones. The photo and the location sent right after it never race each other through a damage
    report. Events held back stay pending, for the next claim after that worker is done.

    Every query here is bounded by ids from the oldest due event on. PostgreSQL plans them from
    statistics taken before a surge (when almost nothing was pending): unbounded, it sorted every
    pending row, payloads and all, to keep twenty (23 ms a claim with 10,000 queued, again each
    batch until autovacuum caught up), and a NOT EXISTS form of the order check compared every
    pending row with every other (0.75 s at 3,000). The queue's two ends come from the index.
    """
    due_pending = (InboxEvent.status == InboxStatus.PENDING, _due(InboxEvent, now))
    oldest, newest = session.execute(
        select(func.min(InboxEvent.id), func.max(InboxEvent.id)).where(*due_pending)).one()
    if oldest is None:
        return []
    statement = (
        select(InboxEvent)
        .where(*due_pending, InboxEvent.id >= oldest)
        .order_by(InboxEvent.id)
        .limit(limit)
        # SKIP LOCKED lets any number of PostgreSQL workers share the queue; SQLite ignores it
        # (its single writer lock already serialises the embedded worker).
        .with_for_update(skip_locked=True)
    )
    if inbox_id is not None:
        candidates = list(session.scalars(statement.where(InboxEvent.id == inbox_id)))
    else:
        candidates = _claim_stretch(session, statement, oldest=oldest, newest=newest, limit=limit)
    held_back = _held_back(session, candidates, due_pending, oldest=oldest)
    return [row for row in candidates if row.id not in held_back]


def _claim_stretch(session: Session, statement: Select, *, oldest: int, newest: int, limit: int) -> list[InboxEvent]:
    """Run the claim over the first CLAIM_WINDOWS stretch of ids that yields a full batch."""
    candidates: list[InboxEvent] = []
    for batches in CLAIM_WINDOWS:
        end = None if batches is None else oldest + batches * limit
        if end is None or end > newest:  # the stretch holds the whole queue
            return list(session.scalars(statement))
        candidates = list(session.scalars(statement.where(InboxEvent.id < end)))
        if len(candidates) == limit:
            return candidates
        # Other workers hold most of the stretch: look further (what this try locked stays ours).
    return candidates


def _held_back(session: Session, candidates: list[InboxEvent], due_pending: tuple, *, oldest: int) -> set[int]:
    """Ids of the candidates that have an older due pending event of their citizen outside the candidates."""
    by_citizen: dict[str, list[int]] = {}
    for row in candidates:
        if row.line_user_id is not None:
            by_citizen.setdefault(row.line_user_id, []).append(row.id)
    if not by_citizen:
        return set()
    claimed = {row.id for row in candidates}
    older_pending = session.execute(
        select(InboxEvent.line_user_id, InboxEvent.id)
        .where(*due_pending, InboxEvent.line_user_id.in_(list(by_citizen)),
               InboxEvent.id >= oldest, InboxEvent.id < max(claimed)))
    first_missing: dict[str, int] = {}  # citizen → their oldest due event another worker holds
    for line_user_id, event_id in older_pending:
        if event_id not in claimed:
            first_missing[line_user_id] = min(event_id, first_missing.get(line_user_id, event_id))
    return {event_id for line_user_id, missing in first_missing.items()
            for event_id in by_citizen[line_user_id] if event_id > missing}


def _due(events: type[InboxEvent], now: datetime) -> ColumnElement[bool]:
    # An event waiting for its retry does not hold back its citizen's later events: it failed
    # already, and a citizen should not wait a minute for an answer because of it.
    return or_(events.next_attempt_at.is_(None), events.next_attempt_at <= now)


class QueuedEvent(NamedTuple):
    """A pending event as the loading animation sees it."""

    id: int
    line_user_id: str | None
    # A message in a one-to-one chat: the animation only shows there, and group members'
    # messages are not answered.
    from_citizen_chat: bool


def queued_after(session: Session, *, after_id: int, stretch: int) -> list[QueuedEvent]:
    """The pending events among the `stretch` ids after `after_id`, oldest first.

    Read without locks: it only tells whom to show LINE's loading animation while they wait.
    """
    rows = session.connection().execute(_QUEUED_AFTER, {"after_id": after_id, "last_id": after_id + stretch})
    return [QueuedEvent(event_id, line_user_id, bool(chat)) for event_id, line_user_id, chat in rows]


# Built once, values bound at execution, run on the connection: it runs after every batch while the
# worker is behind, and building it (the JSON path, its cache key) and the ORM's handling of a
# statement that loads no objects cost more than its round trip.
_QUEUED_AFTER = (
    select(InboxEvent.id, InboxEvent.line_user_id,
           and_(InboxEvent.event_type == "message", InboxEvent.line_user_id.is_not(None),
                InboxEvent.payload["source"]["type"].as_string() == "user"))
    # A stretch of ids, not the next N rows: it bounds the scan however PostgreSQL plans it
    # (see claim_due). Every pending row in it comes back, messages or not, so the caller knows
    # how far it has looked.
    .where(InboxEvent.status == InboxStatus.PENDING, InboxEvent.id > bindparam("after_id"),
           InboxEvent.id <= bindparam("last_id"))
    .order_by(InboxEvent.id)
)


def take_loading_mark(session: Session) -> int | None:
    """The shared mark of how far the loading animation's look has reached, locked until the
    transaction ends; None while another worker holds it (that one is looking right now)."""
    connection = session.connection()
    looked_to = connection.execute(_TAKE_MARK).scalar_one_or_none()
    if looked_to is None:
        # Locked, or not there yet: the first look creates it, then tries once more. If it exists
        # this does nothing without waiting for the lock; only a row another worker is creating
        # right now makes it wait, for the length of that worker's look.
        connection.execute(_CREATE_MARK[connection.dialect.name])
        looked_to = connection.execute(_TAKE_MARK).scalar_one_or_none()
    return looked_to


def move_loading_mark(session: Session, looked_to: int) -> None:
    """Move the mark taken by take_loading_mark (in the same transaction)."""
    session.connection().execute(_MOVE_MARK, {"looked_to": looked_to})


_TAKE_MARK = (select(LoadingDotsMark.looked_to).where(LoadingDotsMark.id == 1)
              .with_for_update(skip_locked=True))  # SQLite: no row locks; one writer at a time anyway
_CREATE_MARK = per_dialect(
    lambda insert: insert(LoadingDotsMark.__table__).values(id=1, looked_to=0).on_conflict_do_nothing())
_MOVE_MARK = update(LoadingDotsMark).where(LoadingDotsMark.id == 1).values(looked_to=bindparam("looked_to"))


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
