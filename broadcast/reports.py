"""Delivery reports per broadcast: recipients, chunks sent and failed, retries, times; CSV export.

Beside our own counts, a report can carry LINE's figures (broadcast.insight) for the JST days the
broadcast was delivered on. Those are the whole account's daily totals, never this broadcast's alone.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from broadcast.insight import LineDayFigures
from broadcast.models import Broadcast, ChunkStatus, DeliveryChunk
from core.clock import JST

# The CSV's LINE columns: named as the account's daily totals, so nobody reads them as this broadcast's.
LINE_CSV_COLUMNS = ("line_account_daily_status", "line_account_daily_api_multicast",
                    "line_account_daily_api_broadcast", "line_account_daily_api_push", "line_account_daily_total")
# A broadcast delivered across midnight has one value per day in each column, in day order.
DAY_SEPARATOR = ";"


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
    first_sent_at: datetime | None = None   # first and last chunk LINE accepted
    last_sent_at: datetime | None = None

    @property
    def delivery_days(self) -> tuple[date, ...]:
        """The days in Japan on which LINE accepted this broadcast's chunks (what its insight figures count by)."""
        if self.first_sent_at is None or self.last_sent_at is None:
            return ()
        first, last = self.first_sent_at.astimezone(JST).date(), self.last_sent_at.astimezone(JST).date()
        return tuple(first + timedelta(days=n) for n in range((last - first).days + 1))


def delivery_reports(session: Session, broadcast_ids: Sequence[int] | None = None, *, limit: int = 100) -> list[DeliveryReport]:
    """Reports for the given broadcasts (or the newest `limit`), newest first."""
    counts = (select(DeliveryChunk.broadcast_id,
                     func.sum(case((DeliveryChunk.status == ChunkStatus.SENT, 1), else_=0)).label("sent"),
                     func.sum(case((DeliveryChunk.status == ChunkStatus.FAILED, 1), else_=0)).label("failed"),
                     func.sum(case((DeliveryChunk.status == ChunkStatus.PENDING, 1), else_=0)).label("pending"),
                     func.sum(case((DeliveryChunk.attempts > 1, DeliveryChunk.attempts - 1), else_=0)).label("retries"),
                     # Only sent chunks have sent_at.
                     func.min(DeliveryChunk.sent_at).label("first_sent"),
                     func.max(DeliveryChunk.sent_at).label("last_sent"))
              .group_by(DeliveryChunk.broadcast_id).subquery())
    query = (select(Broadcast, counts.c.sent, counts.c.failed, counts.c.pending, counts.c.retries,
                    counts.c.first_sent, counts.c.last_sent)
             .outerjoin(counts, counts.c.broadcast_id == Broadcast.id).order_by(Broadcast.id.desc()))
    query = query.where(Broadcast.id.in_(broadcast_ids)) if broadcast_ids is not None else query.limit(limit)
    return [DeliveryReport(b.id, b.title, b.status.value, b.is_emergency, b.recipients, b.chunks, int(sent or 0),
                           int(failed or 0), int(pending or 0), int(retries or 0), b.queued_at, b.started_at,
                           b.finished_at, first_sent, last_sent)
            for b, sent, failed, pending, retries, first_sent, last_sent in session.execute(query)]


def delivery_report(session: Session, broadcast_id: int) -> DeliveryReport | None:
    """The report of one broadcast (None if there is no such broadcast)."""
    reports = delivery_reports(session, [broadcast_id])
    return reports[0] if reports else None


def delivery_days(reports: Sequence[DeliveryReport]) -> set[date]:
    """Every JST day any of the reports was delivered on (the days to ask LINE about)."""
    return {day for report in reports for day in report.delivery_days}


def line_figures_for(report: DeliveryReport, line: Mapping[date, LineDayFigures]) -> list[LineDayFigures]:
    """LINE's daily figures for the days `report` was delivered on, in day order (missing days left out)."""
    return [line[day] for day in report.delivery_days if day in line]


def reports_csv(reports: Sequence[DeliveryReport], line: Mapping[date, LineDayFigures] | None = None) -> str:
    """The reports as CSV (UTF-8 with a BOM when written by the caller for Excel), one row per broadcast.

    Our own counts first; then the JST delivery days and LINE's daily totals for the whole account on
    those days (`line`, from broadcast.insight). Without `line` those cells stay empty: no number is
    ever put where LINE gave none.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f.name for f in fields(DeliveryReport)] + ["delivery_days_jst", *LINE_CSV_COLUMNS])
    for report in reports:
        own = ["" if v is None else v.isoformat() if isinstance(v, datetime) else v
               for v in (getattr(report, f.name) for f in fields(DeliveryReport))]
        days = DAY_SEPARATOR.join(day.isoformat() for day in report.delivery_days)
        writer.writerow(own + [days, *_line_cells(report, line)])
    return out.getvalue()


def _line_cells(report: DeliveryReport, line: Mapping[date, LineDayFigures] | None) -> list[str]:
    if line is None or not report.delivery_days:
        return [""] * len(LINE_CSV_COLUMNS)
    per_day = line_figures_for(report, line)
    columns = (lambda f: f.status, lambda f: f.api_multicast, lambda f: f.api_broadcast, lambda f: f.api_push,
               lambda f: f.total)
    return [DAY_SEPARATOR.join("" if (v := cell(f)) is None else str(v) for f in per_day) for cell in columns]
