"""Delivery reports per broadcast: recipients, chunks sent and failed, retries, times; CSV export."""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from broadcast.models import Broadcast, ChunkStatus, DeliveryChunk


@dataclass(frozen=True)
class DeliveryReport:
    """How one broadcast's delivery went."""

    broadcast_id: int
    title: str
    status: str
    emergency: bool
    recipients: int
    chunks: int
    sent: int
    failed: int
    pending: int
    retries: int        # attempts beyond the first, over all chunks
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


def delivery_reports(session: Session, broadcast_ids: Sequence[int] | None = None, *, limit: int = 100) -> list[DeliveryReport]:
    """Reports for the given broadcasts (or the newest `limit`), newest first."""
    counts = (select(DeliveryChunk.broadcast_id,
                     func.sum(case((DeliveryChunk.status == ChunkStatus.SENT, 1), else_=0)).label("sent"),
                     func.sum(case((DeliveryChunk.status == ChunkStatus.FAILED, 1), else_=0)).label("failed"),
                     func.sum(case((DeliveryChunk.status == ChunkStatus.PENDING, 1), else_=0)).label("pending"),
                     func.sum(case((DeliveryChunk.attempts > 1, DeliveryChunk.attempts - 1), else_=0)).label("retries"))
              .group_by(DeliveryChunk.broadcast_id).subquery())
    query = (select(Broadcast, counts.c.sent, counts.c.failed, counts.c.pending, counts.c.retries)
             .outerjoin(counts, counts.c.broadcast_id == Broadcast.id).order_by(Broadcast.id.desc()))
    query = query.where(Broadcast.id.in_(broadcast_ids)) if broadcast_ids is not None else query.limit(limit)
    return [DeliveryReport(b.id, b.title, b.status.value, b.is_emergency, b.recipients, b.chunks, int(sent or 0),
                           int(failed or 0), int(pending or 0), int(retries or 0), b.queued_at, b.started_at,
                           b.finished_at)
            for b, sent, failed, pending, retries in session.execute(query)]


def delivery_report(session: Session, broadcast_id: int) -> DeliveryReport | None:
    """The report of one broadcast (None if there is no such broadcast)."""
    reports = delivery_reports(session, [broadcast_id])
    return reports[0] if reports else None


def reports_csv(reports: Sequence[DeliveryReport]) -> str:
    """The reports as CSV (UTF-8 with a BOM when written by the caller for Excel), one row per broadcast."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in fields(DeliveryReport)])
    for report in reports:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, datetime) else v
                         for v in asdict(report).values()])
    return out.getvalue()
