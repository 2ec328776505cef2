"""Planning a delivery: who the segment reaches now, cut into chunks of ≤ 500 with retry keys stored.

The retry key of each chunk is written in the same transaction as the chunk, before anyone tries
to send it: whatever happens later (timeouts, crashes, a second worker), that chunk only ever
reaches LINE under that one key, and LINE answers 409 instead of delivering it twice.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from itertools import islice

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from broadcast.models import (Area, Broadcast, BroadcastStatus, ChunkKind, ChunkStatus, DeliveryCategory, DeliveryChunk,
                              RecipientCategory, RecipientSettings)
from broadcast.segments import Catalogue, Recipient, Segment, matches
from core.line_api import MAX_MULTICAST_RECIPIENTS
from core.models import LineUser

# LINE's multicast takes at most 500 recipients a call.
EMERGENCY_PRIORITY = 0
NORMAL_PRIORITY = 100
_INSERT_BATCH = 200


class PlanningError(Exception):
    """The broadcast is not in a state that can be planned (cancelled, still a draft)."""


def plan_delivery(session: Session, broadcast_id: int, *, use_broadcast_endpoint: bool = True) -> int:
    """Cut a queued broadcast into chunks; returns how many. Planning twice returns the first plan."""
    broadcast = session.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        raise PlanningError(f"no broadcast {broadcast_id}")
    if broadcast.status in (BroadcastStatus.SENDING, BroadcastStatus.DONE, BroadcastStatus.EMPTY):
        return broadcast.chunks
    if broadcast.status != BroadcastStatus.QUEUED:
        raise PlanningError(f"broadcast {broadcast_id} is {broadcast.status.value}, not queued")
    segment = Segment.from_dict(broadcast.segment)
    priority = EMERGENCY_PRIORITY if broadcast.is_emergency else NORMAL_PRIORITY
    if broadcast.is_emergency and segment.is_everyone and use_broadcast_endpoint:
        # One call reaches everyone: the fastest path LINE offers (and it counts 1 of 60 an hour).
        size = count_followers(session)
        rows = [_chunk_row(broadcast_id, 0, priority, [], size, ChunkKind.BROADCAST)] if size else []
    else:
        ids = matching_ids(session, segment, emergency=broadcast.is_emergency)
        size = len(ids)
        rows = [_chunk_row(broadcast_id, seq, priority, ids[start:start + MAX_MULTICAST_RECIPIENTS],
                           len(ids[start:start + MAX_MULTICAST_RECIPIENTS]), ChunkKind.MULTICAST)
                for seq, start in enumerate(range(0, size, MAX_MULTICAST_RECIPIENTS))]
    for batch in _batches(rows, _INSERT_BATCH):
        session.execute(insert(DeliveryChunk), batch)
    broadcast.recipients, broadcast.chunks = size, len(rows)
    broadcast.status = BroadcastStatus.SENDING if rows else BroadcastStatus.EMPTY
    session.flush()
    return len(rows)


def count_followers(session: Session) -> int:
    """Followers who have not blocked the account (what LINE's broadcast endpoint reaches)."""
    return session.scalar(select(func.count()).select_from(LineUser).where(*_follower_filter())) or 0


def segment_size(session: Session, segment: Segment, *, emergency: bool = False) -> int:
    """How many followers the segment reaches right now (shown to staff before sending)."""
    if segment.is_everyone:
        return count_followers(session)
    return sum(1 for r in load_recipients(session) if matches(segment, r, emergency=emergency))


def matching_ids(session: Session, segment: Segment, *, emergency: bool = False) -> list[str]:
    """The LINE user ids the segment reaches, in follow order."""
    if segment.is_everyone:
        query = select(LineUser.line_user_id).where(*_follower_filter()).order_by(LineUser.id)
        return list(session.scalars(query.execution_options(yield_per=10_000)))
    return [r.line_user_id for r in load_recipients(session) if matches(segment, r, emergency=emergency)]


def catalogue(session: Session) -> Catalogue:
    """The city's category and area keys and names."""
    return Catalogue(categories=dict(session.execute(select(DeliveryCategory.key, DeliveryCategory.name)).all()),
                     areas=dict(session.execute(select(Area.key, Area.name)).all()))


def load_recipients(session: Session) -> Iterator[Recipient]:
    """Every follower who has not blocked the account, with their 受信設定 resolved."""
    area_keys = dict(session.execute(select(Area.id, Area.key)).all())
    categories = session.execute(select(DeliveryCategory.id, DeliveryCategory.key, DeliveryCategory.is_emergency)
                                 .where(DeliveryCategory.enabled.is_(True))).all()
    category_keys = {row.id: row.key for row in categories}
    emergency_keys = frozenset(row.key for row in categories if row.is_emergency)
    settings = {row.line_user_id: row for row in session.execute(
        select(RecipientSettings.line_user_id, RecipientSettings.area_id, RecipientSettings.has_chosen))}
    chosen: dict[str, set[str]] = {}
    for line_user_id, category_id in session.execute(select(RecipientCategory.line_user_id,
                                                            RecipientCategory.category_id)):
        if category_id in category_keys:
            chosen.setdefault(line_user_id, set()).add(category_keys[category_id])
    query = (select(LineUser.line_user_id, LineUser.followed_at, LineUser.language).where(*_follower_filter())
             .order_by(LineUser.id).execution_options(yield_per=10_000))
    for line_user_id, followed_at, language in session.execute(query):
        own = settings.get(line_user_id)
        receiving = None
        if own is not None and own.has_chosen:
            receiving = frozenset(chosen.get(line_user_id, ())) | emergency_keys
        area = area_keys.get(own.area_id) if own is not None and own.area_id else None
        yield Recipient(line_user_id, followed_at=followed_at, area=area, receiving=receiving, language=language)


def _follower_filter() -> tuple:
    return (LineUser.blocked_at.is_(None), LineUser.followed_at.is_not(None))


def _chunk_row(broadcast_id: int, seq: int, priority: int, recipients: list[str], size: int,
               kind: ChunkKind) -> dict:
    # A random key, not one derived from ids: a restored or reused database must never repeat a
    # key LINE still remembers (24 h), or LINE would answer 409 and the citizens would get nothing.
    return {"broadcast_id": broadcast_id, "seq": seq, "kind": kind, "priority": priority, "recipients": recipients,
            "size": size, "retry_key": str(uuid.uuid4()), "attempts": 0, "status": ChunkStatus.PENDING}


def _batches(rows: list[dict], size: int) -> Iterator[list[dict]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch
