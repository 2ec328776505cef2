"""Personal data over time (個人情報保護法): retention purges, and a citizen's export and deletion.

Each feature keeps personal data of its own; this module, on the top floor, knows them all. Nothing
here logs the data it handles: only counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from broadcast.models import RecipientCategory, RecipientSettings
from core.conversation import ConversationState
from core.models import InboxEvent, LineUser, MessageLog
from faq.models import QuestionLog
from inquiries.models import Inquiry, InquiryMessage, InquiryStatus


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of personal data is kept (days). A city sets its own in the environment."""

    message_days: int = 90          # the raw conversation log
    question_text_days: int = 365   # question wording (statistics keep the counts forever)
    inquiry_days: int = 3 * 365     # closed inquiries, counted from closing
    webhook_days: int = 30          # raw webhook payloads in the inbox

    @classmethod
    def from_env(cls, env: dict[str, str]) -> RetentionPolicy:
        """RETENTION_MESSAGE_DAYS, RETENTION_QUESTION_TEXT_DAYS, RETENTION_INQUIRY_DAYS, RETENTION_WEBHOOK_DAYS."""
        defaults = cls()
        def days(name: str, default: int) -> int:
            value = env.get(name, "").strip()
            return int(value) if value.isdigit() else default
        return cls(days("RETENTION_MESSAGE_DAYS", defaults.message_days),
                   days("RETENTION_QUESTION_TEXT_DAYS", defaults.question_text_days),
                   days("RETENTION_INQUIRY_DAYS", defaults.inquiry_days),
                   days("RETENTION_WEBHOOK_DAYS", defaults.webhook_days))


def purge_expired(session: Session, policy: RetentionPolicy, *, now: datetime) -> dict[str, int]:
    """Delete or blank what is older than the policy allows; returns counts by kind."""
    def before(days: int) -> datetime:
        return now - timedelta(days=days)

    counts = {
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
    return counts


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
    }


def delete_citizen(session: Session, line_user_id: str) -> dict[str, int]:
    """Erase one citizen (削除請求): their words and links to them; anonymous counts stay for the statistics."""
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


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
