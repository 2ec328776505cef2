"""Personal data over time (個人情報保護法): retention purges, and a citizen's export and deletion.

Each feature keeps personal data of its own; this module, on the top floor, knows them all. Nothing
here logs the data it handles: only counts.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from broadcast.models import RecipientCategory, RecipientSettings
from core.config import Settings
from core.conversation import ConversationState
from core.models import InboxEvent, LineUser, MessageLog
from faq.models import QuestionLog
from inquiries.models import Inquiry, InquiryMessage, InquiryStatus
from reports.models import PhotoStatus, Report, ReportEvent, ReportNotice, ReportPhoto, ReportSubscription
from reports.status import CLOSED, ReportStatus
from reports.storage import LocalMediaStorage, MediaStorage, delete_after_commit

# Reports the city never received: the citizen's draft, kept as expired once abandoned.
UNSENT = (ReportStatus.DRAFT, ReportStatus.EXPIRED)
# Photo files no row points at are personal data kept past every retention period. They are left by
# a crash between a purge's commit and its file deletion, or by a worker killed mid-write; the grace
# leaves alone a file whose row a worker is committing right now.
STRAY_FILE_GRACE = timedelta(days=1)
PHOTO_PREFIX = "reports/"
# Written in a report's history (staff read it in the admin) when the reporter's data leaves it.
ANONYMISED_BY_RETENTION = "保存期間を過ぎたため、通報者・場所の説明・本文・写真を削除しました"
ANONYMISED_ON_REQUEST = "ご本人の削除請求により、通報者・場所の説明・本文・写真を削除しました"


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of personal data is kept (days). A city sets its own in the environment."""

    message_days: int = 90          # the raw conversation log
    question_text_days: int = 365   # question wording (statistics keep the counts forever)
    inquiry_days: int = 3 * 365     # closed inquiries, counted from closing
    webhook_days: int = 30          # raw webhook payloads in the inbox
    # An abandoned draft was never sent to the city, so nothing depends on it; a week after it expired
    # still lets staff look into "I sent a photo and the report vanished" before it goes.
    report_draft_days: int = 7
    # Closed reports, counted from closing: as long as inquiries, for the same reason (a repair can be
    # questioned, a claim over a road defect can come years later, and staff may need the reporter's
    # words and photos). After that the reporter, their words and photos go; the anonymous report stays.
    report_days: int = 3 * 365

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RetentionPolicy:
        """RETENTION_MESSAGE_DAYS, _QUESTION_TEXT_DAYS, _INQUIRY_DAYS, _WEBHOOK_DAYS, _REPORT_DRAFT_DAYS and
        _REPORT_DAYS; a value that is not a number of days keeps the default."""
        defaults = cls()
        def days(name: str, default: int) -> int:
            value = env.get(name, "").strip()
            return int(value) if value.isdigit() else default
        return cls(message_days=days("RETENTION_MESSAGE_DAYS", defaults.message_days),
                   question_text_days=days("RETENTION_QUESTION_TEXT_DAYS", defaults.question_text_days),
                   inquiry_days=days("RETENTION_INQUIRY_DAYS", defaults.inquiry_days),
                   webhook_days=days("RETENTION_WEBHOOK_DAYS", defaults.webhook_days),
                   report_draft_days=days("RETENTION_REPORT_DRAFT_DAYS", defaults.report_draft_days),
                   report_days=days("RETENTION_REPORT_DAYS", defaults.report_days))


def media_storage_from_env(env: Mapping[str, str]) -> LocalMediaStorage:
    """Where report photos are (MEDIA_DIR, as Settings reads it).

    Read here rather than through Settings: the purge runs from the scheduler and the command line,
    which need the database but not LINE's secrets.
    """
    return LocalMediaStorage(env.get("MEDIA_DIR", "").strip() or Settings.media_dir)


def purge_expired(session: Session, policy: RetentionPolicy, storage: MediaStorage, *,
                  now: datetime) -> dict[str, int]:
    """Delete or blank what is older than the policy allows; returns counts by kind.

    Photo files are deleted from `storage` once the session commits (nothing is deleted on rollback).
    """
    def before(days: int) -> datetime:
        return now - timedelta(days=days)

    # Before the rows below go: the files of photos purged now are deleted with them, not as strays.
    stray = _stray_photo_files(session, storage, written_before=now - STRAY_FILE_GRACE)
    delete_after_commit(session, storage, stray)
    counts = {
        "stray_photo_files": len(stray),
        "messages": session.execute(delete(MessageLog).where(
            MessageLog.created_at < before(policy.message_days))).rowcount or 0,
        # The question's outcome stays for the statistics; only the citizen's words go.
        "question_texts": session.execute(update(QuestionLog).where(
            QuestionLog.created_at < before(policy.question_text_days), QuestionLog.text.is_not(None))
            .values(text=None)).rowcount or 0,
        "inquiries": session.execute(delete(Inquiry).where(
            Inquiry.status == InquiryStatus.CLOSED, Inquiry.closed_at < before(policy.inquiry_days))).rowcount or 0,
        "webhook_payloads": session.execute(delete(InboxEvent).where(
            InboxEvent.received_at < before(policy.webhook_days))).rowcount or 0,
    }
    counts.update(_purge_reports(session, storage, drafts_before=before(policy.report_draft_days),
                                 closed_before=before(policy.report_days), now=now))
    return counts


def _purge_reports(session: Session, storage: MediaStorage, *, drafts_before: datetime,
                   closed_before: datetime, now: datetime) -> dict[str, int]:
    """Abandoned drafts go whole; old closed reports lose their reporter, words, photos and followers."""
    # A draft without an expiry (none should be) is judged by its last change, so none is kept forever.
    abandoned = select(Report.id).where(Report.status.in_(UNSENT),
                                        func.coalesce(Report.expires_at, Report.updated_at) < drafts_before)
    closed_criteria = (Report.status.in_(CLOSED), Report.closed_at < closed_before)
    closed = select(Report.id).where(*closed_criteria)
    photos = _delete_photos(session, storage, abandoned) + _delete_photos(session, storage, closed)
    drafts = _delete_reports(session, abandoned)
    for table in (ReportSubscription, ReportNotice):
        session.execute(delete(table).where(table.report_id.in_(closed)))
    # Only reports still holding something count, so that each night reports what it changed.
    anonymised = _unlink_reports(session, *closed_criteria, or_(
        Report.line_user_id.is_not(None), Report.place_text != "", Report.description != ""),
        reason=ANONYMISED_BY_RETENTION, now=now)
    return {"report_drafts": drafts, "report_photos": photos, "reports_anonymised": anonymised}


def export_citizen(session: Session, line_user_id: str) -> dict[str, Any]:
    """Everything kept about one citizen, for a 開示請求 (disclosure request)."""
    user = session.scalars(select(LineUser).where(LineUser.line_user_id == line_user_id)).first()
    questions = session.scalars(select(QuestionLog).where(QuestionLog.line_user_id == line_user_id)
                                .order_by(QuestionLog.id))
    messages = session.scalars(select(MessageLog).where(MessageLog.line_user_id == line_user_id)
                               .order_by(MessageLog.id))
    inquiries = session.scalars(select(Inquiry).where(Inquiry.line_user_id == line_user_id).order_by(Inquiry.id))
    settings = session.scalars(select(RecipientSettings).where(RecipientSettings.line_user_id == line_user_id)).first()
    return {
        "line_user_id": line_user_id,
        "account": None if user is None else {
            "first_seen_at": _iso(user.first_seen_at), "followed_at": _iso(user.followed_at),
            "blocked_at": _iso(user.blocked_at), "last_message_at": _iso(user.last_message_at)},
        "messages": [{"at": _iso(m.created_at), "direction": m.direction.value, "type": m.message_type,
                      "text": m.text} for m in messages],
        "questions": [{"at": _iso(q.created_at), "text": q.text, "outcome": q.outcome.value,
                       "faq_id": q.faq_external_id, "helpful": q.helpful} for q in questions],
        "inquiries": [{"receipt_number": i.receipt_number, "status": i.status.value, "created_at": _iso(i.created_at),
                       "messages": [{"at": _iso(m.created_at), "from": m.author, "text": m.text}
                                    for m in i.messages]} for i in inquiries],
        "delivery_preferences": None if settings is None else {
            "has_chosen": settings.has_chosen, "area_id": settings.area_id, "updated_at": _iso(settings.updated_at)},
        "reports": _export_reports(session, line_user_id),
        "report_subscriptions": _export_subscriptions(session, line_user_id),
    }


def _export_reports(session: Session, line_user_id: str) -> list[dict[str, Any]]:
    # Drafts too: the citizen's words and photos are kept while a draft waits for the purge.
    reports = session.scalars(select(Report).where(Report.line_user_id == line_user_id).order_by(Report.id))
    return [{"receipt_number": r.receipt_number, "status": r.status.value, "category": r.category_code,
             "created_at": _iso(r.created_at), "submitted_at": _iso(r.submitted_at), "closed_at": _iso(r.closed_at),
             "latitude": r.latitude, "longitude": r.longitude, "address": r.address, "place_text": r.place_text,
             "description": r.description, "is_urgent": r.is_urgent,
             # Photos rejected, never received from LINE or redacted are not kept, so not counted.
             "photos": sum(p.status in (PhotoStatus.PENDING, PhotoStatus.STORED) for p in r.photos)}
            for r in reports]


def _export_subscriptions(session: Session, line_user_id: str) -> list[dict[str, Any]]:
    rows = session.execute(select(ReportSubscription, Report.receipt_number, Report.status).join(Report)
                           .where(ReportSubscription.line_user_id == line_user_id).order_by(ReportSubscription.id))
    return [{"receipt_number": s.receipt_number, "following": number, "status": status.value,
             "since": _iso(s.created_at)} for s, number, status in rows]


def delete_citizen(session: Session, line_user_id: str, storage: MediaStorage, *, now: datetime) -> dict[str, int]:
    """Erase one citizen (削除請求): their words and links to them; anonymous counts stay for the statistics.

    Photo files are deleted from `storage` once the session commits (nothing is deleted on rollback).
    """
    counts = {
        "messages": session.execute(delete(MessageLog).where(MessageLog.line_user_id == line_user_id)).rowcount or 0,
        "questions": session.execute(update(QuestionLog).where(QuestionLog.line_user_id == line_user_id)
                                     .values(text=None, line_user_id=None)).rowcount or 0,
        "inquiry_messages": _delete_inquiries(session, line_user_id),
        "conversations": session.execute(delete(ConversationState).where(
            ConversationState.line_user_id == line_user_id)).rowcount or 0,
        "preferences": session.execute(delete(RecipientCategory).where(
            RecipientCategory.line_user_id == line_user_id)).rowcount or 0,
        "webhook_payloads": session.execute(delete(InboxEvent).where(
            InboxEvent.line_user_id == line_user_id)).rowcount or 0,
        **_erase_reports(session, storage, line_user_id, now=now),
    }
    session.execute(delete(RecipientSettings).where(RecipientSettings.line_user_id == line_user_id))
    counts["account"] = session.execute(delete(LineUser).where(LineUser.line_user_id == line_user_id)).rowcount or 0
    return counts


def _delete_inquiries(session: Session, line_user_id: str) -> int:
    inquiry_ids = list(session.scalars(select(Inquiry.id).where(Inquiry.line_user_id == line_user_id)))
    if not inquiry_ids:
        return 0
    removed = session.execute(delete(InquiryMessage).where(InquiryMessage.inquiry_id.in_(inquiry_ids))).rowcount or 0
    session.execute(delete(Inquiry).where(Inquiry.id.in_(inquiry_ids)))
    return removed


def _erase_reports(session: Session, storage: MediaStorage, line_user_id: str, *, now: datetime) -> dict[str, int]:
    """Drafts go; submitted reports stay for the city's record of the repair, without the citizen.

    In this order: the reports are found by their link to the citizen, which is cut last.
    """
    own = select(Report.id).where(Report.line_user_id == line_user_id)
    return {
        # Pushed notices too: each one still names the citizen.
        "report_notices": session.execute(delete(ReportNotice).where(
            ReportNotice.line_user_id == line_user_id)).rowcount or 0,
        "report_subscriptions": session.execute(delete(ReportSubscription).where(
            ReportSubscription.line_user_id == line_user_id)).rowcount or 0,
        # Even from a report the city keeps: a photo can show faces, number plates or the citizen's home.
        "report_photos": _delete_photos(session, storage, own),
        "report_drafts": _delete_reports(session, own.where(Report.status.in_(UNSENT))),
        "reports": _unlink_reports(session, Report.line_user_id == line_user_id, reason=ANONYMISED_ON_REQUEST, now=now),
    }


def _stray_photo_files(session: Session, storage: MediaStorage, *, written_before: datetime) -> list[str]:
    """Keys of photo files older than `written_before` that no report photo points at."""
    referenced = set(session.scalars(select(ReportPhoto.storage_key).where(ReportPhoto.storage_key.is_not(None))))
    return [key for key in storage.keys_older_than(PHOTO_PREFIX, written_before) if key not in referenced]


def _delete_photos(session: Session, storage: MediaStorage, report_ids: Select) -> int:
    """Delete the photos of these reports (rows now, files after the commit); returns how many rows."""
    # RETURNING gives the keys of the rows actually deleted: on PostgreSQL, a worker storing a photo
    # at this moment holds its row, and the key it writes is the one returned here.
    keys = session.scalars(delete(ReportPhoto).where(ReportPhoto.report_id.in_(report_ids))
                           .returning(ReportPhoto.storage_key)).all()
    delete_after_commit(session, storage, [key for key in keys if key])
    return len(keys)


def _delete_reports(session: Session, report_ids: Select) -> int:
    """Delete these reports and everything hanging from them (their photos must be deleted first)."""
    for table in (ReportNotice, ReportSubscription, ReportEvent):
        session.execute(delete(table).where(table.report_id.in_(report_ids)))
    return session.execute(delete(Report).where(Report.id.in_(report_ids))).rowcount or 0


def _unlink_reports(session: Session, *criteria: Any, reason: str, now: datetime) -> int:
    """Cut reports from their reporter and blank the citizen's own words; place, category and history stay.

    `updated_at` stays too: the public record (Open311) says when the city last worked on a report.
    Each report's history says what went and why, so staff reading it later see why the words are gone.
    """
    report_ids = list(session.scalars(select(Report.id).where(*criteria)))
    if not report_ids:
        return 0
    session.execute(update(Report).where(Report.id.in_(report_ids))
                    .values(line_user_id=None, place_text="", description=""))
    session.execute(insert(ReportEvent), [
        {"report_id": report_id, "kind": "anonymised", "note": reason, "created_at": now} for report_id in report_ids])
    return len(report_ids)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
