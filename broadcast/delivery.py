"""Sending planned chunks: claim what is due, call LINE with the chunk's own retry key, record the outcome.

The rules, all LINE's:
- 2xx, or 409 (LINE already accepted this retry key: an earlier attempt got through) → delivered.
- 429 → the endpoint is over its rate limit: wait and try again (the paced client slows down).
- 5xx, timeout, connection lost → maybe accepted, maybe not: try again later with the *same* key.
- any other 4xx → LINE will never take it: record why and stop that chunk.

Claiming: on PostgreSQL `FOR UPDATE SKIP LOCKED` lets any number of worker processes share the work;
the row lock lasts while the chunk is sent, and dies with the worker's connection, so after a crash
the chunk is simply due again (and its retry key turns a repeat into a 409, not a duplicate). SQLite
has no row locks: a process-wide set keeps this process's threads from taking the same chunk, and its
one-writer lock does the rest.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from broadcast.models import Broadcast, BroadcastStatus, ChunkKind, ChunkStatus, DeliveryChunk
from core.metrics import BROADCAST_CHUNKS

if TYPE_CHECKING:
    from core.line_gateway import LineGateway

log = logging.getLogger(__name__)

# LINE keeps a retry key 24 h; after this many attempts (about a quarter of an hour of backing off)
# a chunk is given up and reported as failed rather than retried for ever.
MAX_ATTEMPTS = 20
MAX_BACKOFF_SECONDS = 60.0
DEFAULT_BATCH = 10

_claimed_here: set[int] = set()
_claimed_lock = threading.Lock()


def send_due_chunks(session: Session, line: LineGateway, *, now: datetime, limit: int = DEFAULT_BATCH,
                    broadcast_id: int | None = None) -> int:
    """Send up to `limit` due chunks (emergencies first); returns how many LINE accepted. Never commits."""
    chunks = _claim(session, now=now, limit=limit, broadcast_id=broadcast_id, kinds=supported_kinds(line))
    try:
        messages = _messages_of(session, {chunk.broadcast_id for chunk in chunks})
        delivered = sum(1 for chunk in chunks if _send(line, chunk, messages[chunk.broadcast_id], now))
        _mark_started(session, {chunk.broadcast_id for chunk in chunks}, now)
        session.flush()
        return delivered
    finally:
        _release(chunk.id for chunk in chunks)


def supported_kinds(line: object) -> tuple[ChunkKind, ...]:
    """Which chunks this gateway can send (the SDK gateway has no broadcast endpoint)."""
    return (ChunkKind.MULTICAST, ChunkKind.BROADCAST) if hasattr(line, "broadcast") else (ChunkKind.MULTICAST,)


def finish_deliveries(session: Session, *, now: datetime) -> int:
    """Mark sending broadcasts with no pending chunk as done; returns how many finished."""
    pending = select(DeliveryChunk.id).where(DeliveryChunk.broadcast_id == Broadcast.id,
                                             DeliveryChunk.status == ChunkStatus.PENDING).exists()
    finished = list(session.scalars(select(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING, ~pending)))
    for broadcast in finished:
        last = session.scalar(select(func.max(DeliveryChunk.sent_at)).where(DeliveryChunk.broadcast_id == broadcast.id))
        broadcast.status, broadcast.finished_at = BroadcastStatus.DONE, last or now
    session.flush()
    return len(finished)


def _due(now: datetime, kinds: Iterable[ChunkKind] = tuple(ChunkKind)) -> tuple:
    return (DeliveryChunk.status == ChunkStatus.PENDING, DeliveryChunk.kind.in_(list(kinds)),
            or_(DeliveryChunk.next_attempt_at.is_(None), DeliveryChunk.next_attempt_at <= now))


def _claim(session: Session, *, now: datetime, limit: int, broadcast_id: int | None,
           kinds: tuple[ChunkKind, ...]) -> list[DeliveryChunk]:
    query = select(DeliveryChunk).where(*_due(now, kinds)).order_by(DeliveryChunk.priority, DeliveryChunk.id)
    if broadcast_id is not None:
        query = query.where(DeliveryChunk.broadcast_id == broadcast_id)
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(query.limit(limit).with_for_update(skip_locked=True)))
    # Begin the transaction (SQLite: take the write lock) before the process lock, never the other
    # way round: a thread waiting for the database while holding the process lock would stop the
    # thread that holds the database from releasing its chunks.
    session.connection()
    with _claimed_lock:
        if _claimed_here:
            query = query.where(DeliveryChunk.id.not_in(list(_claimed_here)))
        chunks = list(session.scalars(query.limit(limit)))
        _claimed_here.update(chunk.id for chunk in chunks)
    return chunks


def _release(chunk_ids: Iterable[int]) -> None:
    with _claimed_lock:
        _claimed_here.difference_update(chunk_ids)


def _messages_of(session: Session, broadcast_ids: set[int]) -> dict[int, list]:
    if not broadcast_ids:
        return {}
    return dict(session.execute(select(Broadcast.id, Broadcast.messages).where(Broadcast.id.in_(broadcast_ids))).all())


def _send(line: LineGateway, chunk: DeliveryChunk, messages: list, now: datetime) -> bool:
    chunk.attempts += 1
    try:
        if chunk.kind == ChunkKind.BROADCAST:
            line.broadcast(messages, retry_key=chunk.retry_key)  # type: ignore[attr-defined]
        else:
            line.multicast(chunk.recipients, messages, retry_key=chunk.retry_key)
    except ValueError as exc:  # a malformed chunk (compose should have caught it): never retry
        chunk.status, chunk.error = ChunkStatus.FAILED, str(exc)[:200]
        return False
    except Exception as exc:
        status = getattr(exc, "status", None)
        if not isinstance(status, int):  # not an answer from LINE: a bug, let it surface
            raise
        _record_failure(chunk, exc, status, now)
        return False
    chunk.status, chunk.sent_at, chunk.last_status, chunk.error = ChunkStatus.SENT, now, 200, None
    BROADCAST_CHUNKS.labels(result="sent").inc()
    return True


def _record_failure(chunk: DeliveryChunk, exc: Exception, status: int, now: datetime) -> None:
    chunk.last_status, chunk.error = status, str(exc)[:200]
    BROADCAST_CHUNKS.labels(result=f"error_{status}").inc()
    # Both clients (SDK gateway, bulk client) raise core.line_api.LineApiError.
    if getattr(exc, "is_retryable", False) and chunk.attempts < MAX_ATTEMPTS:
        chunk.next_attempt_at = now + timedelta(seconds=backoff_seconds(status, chunk.attempts))
    else:
        chunk.status = ChunkStatus.FAILED
        log.warning("chunk failed: broadcast=%s seq=%s status=%s", chunk.broadcast_id, chunk.seq, status)


def backoff_seconds(status: int, attempts: int) -> float:
    """How long a chunk waits after a failed attempt: a rate limit clears within a second or so,
    a failing LINE gets exponentially more room."""
    if status == 429:
        return min(MAX_BACKOFF_SECONDS, 1.0 * attempts)
    return min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (attempts - 1))


def _mark_started(session: Session, broadcast_ids: set[int], now: datetime) -> None:
    if broadcast_ids:
        session.execute(update(Broadcast).where(Broadcast.id.in_(broadcast_ids), Broadcast.started_at.is_(None))
                        .values(started_at=now).execution_options(synchronize_session=False))
