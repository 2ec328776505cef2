"""What the worker does for reports after events are answered: fetch photos from LINE, push notices.

A photo is stored by the conversation as LINE's message id only; it is downloaded here, outside the
citizen's event, so that a slow or failing LINE never loses (or delays) the report. Failed downloads
are retried with growing waits; content LINE no longer has is given up on.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.line_gateway import LineApiError, LineGateway, LineMessage, retry_key_for
from reports.drafts import expire_drafts
from reports.models import PhotoStatus, Report, ReportNotice, ReportPhoto
from reports.photos import PhotoRejectedError, clean_photo
from reports.status import ReportStatus
from reports.storage import MediaStorage, new_photo_key

log = logging.getLogger(__name__)

FETCH_BATCH = 5
NOTICE_BATCH = 100
MAX_FETCH_ATTEMPTS = 8  # with doubling waits from 10 s: gives up after about 40 minutes
FIRST_RETRY = timedelta(seconds=10)
# Turns a notice into the LINE messages the citizen receives (the handlers' texts own the wording).
NoticeBuilder = Callable[[ReportNotice, Report], list[LineMessage]]


def fetch_pending_photos(session: Session, line: LineGateway, storage: MediaStorage, *, now: datetime,
                         limit: int = FETCH_BATCH) -> int:
    """Download, clean and store photos waiting for it; returns how many were stored."""
    # Photos of abandoned drafts are not worth LINE's bandwidth (nor keeping).
    statement = (select(ReportPhoto).join(Report)
                 .where(ReportPhoto.status == PhotoStatus.PENDING, Report.status != ReportStatus.EXPIRED,
                        or_(ReportPhoto.next_attempt_at.is_(None), ReportPhoto.next_attempt_at <= now))
                 .order_by(ReportPhoto.id).limit(limit).with_for_update(skip_locked=True, of=ReportPhoto))
    stored = 0
    for photo in session.scalars(statement).all():
        stored += _fetch_one(session, line, storage, photo, now=now)
    return stored


def _fetch_one(session: Session, line: LineGateway, storage: MediaStorage, photo: ReportPhoto, *,
               now: datetime) -> int:
    try:
        raw = line.get_content(photo.line_message_id or "")
    except LineApiError as error:
        _record_fetch_failure(photo, error, now=now)
        return 0
    try:
        clean = clean_photo(raw)
    except PhotoRejectedError as rejected:
        photo.status, photo.last_error, photo.size_bytes = PhotoStatus.REJECTED, rejected.reason, len(raw)
        _queue_photo_notice(session, photo, now=now)
        return 0
    key = new_photo_key(now)
    storage.put(key, clean.data, clean.content_type)
    photo.status, photo.storage_key, photo.content_type = PhotoStatus.STORED, key, clean.content_type
    photo.width, photo.height, photo.size_bytes, photo.stored_at = clean.width, clean.height, len(clean.data), now
    photo.last_error = None
    return 1


def _record_fetch_failure(photo: ReportPhoto, error: LineApiError, *, now: datetime) -> None:
    photo.attempts += 1
    photo.last_error = f"LINE {error.status}"
    log.info("photo download failed: photo_id=%s status=%s attempt=%s", photo.id, error.status, photo.attempts)
    if not error.is_retryable or photo.attempts >= MAX_FETCH_ATTEMPTS:
        photo.status = PhotoStatus.FAILED  # the report stands; staff see the photo is missing
        return
    photo.next_attempt_at = now + FIRST_RETRY * (2 ** (photo.attempts - 1))


def _queue_photo_notice(session: Session, photo: ReportPhoto, *, now: datetime) -> None:
    report = photo.report
    if not report.line_user_id:
        return
    notice = ReportNotice(report_id=report.id, photo_id=photo.id, kind="photo_rejected",
                          line_user_id=report.line_user_id, receipt_number=report.receipt_number or "",
                          created_at=now)
    session.add(notice)
    session.flush()
    notice.retry_key = retry_key_for("report-notice", str(notice.id))


def deliver_report_notices(session: Session, line: LineGateway, build: NoticeBuilder, *, now: datetime) -> int:
    """Push pending notices in order; returns how many went out.

    A retryable LINE error leaves the rest for the next run; a final one (blocked, gone) is recorded.
    """
    statement = (select(ReportNotice).where(ReportNotice.pushed_at.is_(None), ReportNotice.push_error.is_(None))
                 .order_by(ReportNotice.id).limit(NOTICE_BATCH).with_for_update(skip_locked=True))
    delivered = 0
    for notice in session.scalars(statement).all():
        try:
            line.push(notice.line_user_id, build(notice, notice.report), retry_key=notice.retry_key or "")
        except LineApiError as error:
            if error.is_retryable:
                break
            notice.push_error = f"LINE {error.status}"
            continue
        notice.pushed_at = now
        delivered += 1
    return delivered


def work_report_outbox(session: Session, line: LineGateway, storage: MediaStorage | None, build: NoticeBuilder,
                       *, now: datetime) -> int:
    """One pass of the worker: abandon stale drafts, fetch photos, push notices; returns pushes sent."""
    expire_drafts(session, now=now)
    if storage is not None:
        fetch_pending_photos(session, line, storage, now=now)
    return deliver_report_notices(session, line, build, now=now)
