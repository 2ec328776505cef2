"""Inquiry services: open one with a receipt number, add messages, reply as staff, deliver replies.

They take a Session and never commit. Staff replies are stored first and pushed afterwards by
`deliver_staff_replies` (the worker calls it), so a reply is never lost to a LINE hiccup.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.line_gateway import LineApiError, LineGateway, LineMessage, retry_key_for
from inquiries.models import Inquiry, InquiryMessage, InquiryStatus

MAX_INQUIRY_TEXT = 2000
# Turns a staff reply into the LINE messages the citizen receives (the handlers' texts own the wording).
ReplyBuilder = Callable[[Inquiry, InquiryMessage], list[LineMessage]]
DELIVERY_BATCH = 100


class InquiryError(Exception):
    """An inquiry operation that cannot be done (unknown inquiry, closed, empty text)."""


def open_inquiry(session: Session, *, channel: str, text: str, now: datetime, line_user_id: str | None = None,
                 web_session_id: str | None = None, question_log_id: int | None = None,
                 department: str = "") -> Inquiry:
    """Open an inquiry with the citizen's first words; it gets a receipt number to quote."""
    text = _checked(text)
    inquiry = Inquiry(receipt_number=_new_receipt_number(session, now), channel=channel, line_user_id=line_user_id,
                      web_session_id=web_session_id, question_log_id=question_log_id, department=department,
                      status=InquiryStatus.NEW, created_at=now, updated_at=now)
    inquiry.messages.append(InquiryMessage(author="citizen", text=text, created_at=now))
    session.add(inquiry)
    session.flush()
    return inquiry


def _new_receipt_number(session: Session, now: datetime) -> str:
    # Month-day plus four random digits: easy to read out on the phone, not guessable in sequence.
    while True:
        number = f"{now:%m%d}-{secrets.randbelow(10_000):04d}"
        if session.scalar(select(Inquiry.id).where(Inquiry.receipt_number == number)) is None:
            return number


def latest_open_inquiry(session: Session, *, line_user_id: str | None = None,
                        web_session_id: str | None = None) -> Inquiry | None:
    """The citizen's most recent inquiry that is not closed."""
    statement = select(Inquiry).where(Inquiry.status != InquiryStatus.CLOSED).order_by(Inquiry.id.desc()).limit(1)
    if line_user_id is not None:
        statement = statement.where(Inquiry.line_user_id == line_user_id)
    elif web_session_id is not None:
        statement = statement.where(Inquiry.web_session_id == web_session_id)
    else:
        return None
    return session.scalars(statement).first()


def add_citizen_message(session: Session, inquiry: Inquiry, text: str, *, now: datetime) -> InquiryMessage:
    """A follow-up from the citizen joins their open inquiry; an answered one goes back to staff."""
    if not inquiry.is_open:
        raise InquiryError("the inquiry is closed")
    message = InquiryMessage(author="citizen", text=_checked(text), created_at=now)
    inquiry.messages.append(message)
    if inquiry.status is InquiryStatus.ANSWERED:
        inquiry.status = InquiryStatus.ASSIGNED if inquiry.assigned_to else InquiryStatus.NEW
    inquiry.updated_at = now
    session.flush()
    return message


def reply_as_staff(session: Session, inquiry_id: int, text: str, *, staff_name: str, now: datetime) -> InquiryMessage:
    """Store a staff reply for delivery; the inquiry becomes answered."""
    inquiry = session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise InquiryError(f"no inquiry {inquiry_id}")
    if not inquiry.is_open:
        raise InquiryError("the inquiry is closed")
    message = InquiryMessage(author="staff", staff_name=staff_name, text=_checked(text), created_at=now)
    inquiry.messages.append(message)
    session.flush()
    # Stored before the first attempt: a retry after a crash reuses it, and LINE drops the copy.
    message.push_retry_key = retry_key_for("inquiry-reply", str(message.id))
    inquiry.status, inquiry.updated_at = InquiryStatus.ANSWERED, now
    inquiry.assigned_to = inquiry.assigned_to or staff_name
    return message


def assign(session: Session, inquiry_id: int, *, department: str, staff_name: str, now: datetime) -> Inquiry:
    """Give an inquiry to a department and a person."""
    inquiry = session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise InquiryError(f"no inquiry {inquiry_id}")
    inquiry.department, inquiry.assigned_to, inquiry.updated_at = department, staff_name, now
    if inquiry.status is InquiryStatus.NEW:
        inquiry.status = InquiryStatus.ASSIGNED
    return inquiry


def close(session: Session, inquiry_id: int, *, now: datetime) -> Inquiry:
    """Close an inquiry: later messages from the citizen are ordinary questions again."""
    inquiry = session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise InquiryError(f"no inquiry {inquiry_id}")
    inquiry.status, inquiry.closed_at, inquiry.updated_at = InquiryStatus.CLOSED, now, now
    return inquiry


def pending_staff_replies(session: Session, *, limit: int = DELIVERY_BATCH) -> list[InquiryMessage]:
    """Staff replies to LINE users not yet delivered (nor given up on)."""
    statement = (select(InquiryMessage).join(Inquiry)
                 .where(InquiryMessage.author == "staff", InquiryMessage.pushed_at.is_(None),
                        InquiryMessage.push_error.is_(None), Inquiry.channel == "line")
                 .order_by(InquiryMessage.id).limit(limit)
                 .with_for_update(skip_locked=True, of=InquiryMessage))
    return list(session.scalars(statement))


def deliver_staff_replies(session: Session, line: LineGateway, build: ReplyBuilder, *, now: datetime) -> int:
    """Push pending staff replies to their citizens; returns how many went out.

    A retryable LINE error leaves the reply pending for the next run; a final one (blocked, gone) is recorded.
    """
    delivered = 0
    for message in pending_staff_replies(session):
        inquiry = message.inquiry
        try:
            line.push(inquiry.line_user_id or "", build(inquiry, message), retry_key=message.push_retry_key or "")
        except LineApiError as error:
            if error.is_retryable:
                break  # LINE is struggling: try the rest later, in order
            message.push_error = f"LINE {error.status}"
            continue
        message.pushed_at = now
        delivered += 1
    return delivered


def _checked(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InquiryError("empty message")
    return text[:MAX_INQUIRY_TEXT]



def first_response_hours(session: Session, *, start: datetime | None = None,
                         end: datetime | None = None) -> list[float]:
    """For inquiries opened in [start, end): hours until staff first replied (unanswered ones are left out)."""
    first_reply = (select(InquiryMessage.inquiry_id, func.min(InquiryMessage.created_at).label("at"))
                   .where(InquiryMessage.author == "staff").group_by(InquiryMessage.inquiry_id).subquery())
    statement = select(Inquiry.created_at, first_reply.c.at).join(first_reply, first_reply.c.inquiry_id == Inquiry.id)
    if start is not None:
        statement = statement.where(Inquiry.created_at >= start)
    if end is not None:
        statement = statement.where(Inquiry.created_at < end)
    hours = []
    for opened, replied in session.execute(statement):
        replied = replied if replied.tzinfo else replied.replace(tzinfo=opened.tzinfo)  # SQLite's aggregate is naive
        hours.append((replied - opened).total_seconds() / 3600)
    return sorted(hours)
