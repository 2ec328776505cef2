"""The draft a citizen builds step by step: find it, start it, and apply each answer to it.

The step table (reports/flow.py) decides where the draft goes; these functions store the answer
and the new step on the row. They take a Session and never commit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.config import DRAFT_TTL
from reports.flow import Decision, Facts, Input, Step, decide
from reports.models import PhotoStatus, Report, ReportPhoto
from reports.status import ReportStatus

MAX_PLACE_TEXT = 500
MAX_DESCRIPTION = 2000
MAX_ADDRESS = 200


def current_draft(session: Session, line_user_id: str, *, now: datetime) -> Report | None:
    """The citizen's draft that has not been abandoned, if any."""
    statement = (select(Report).where(Report.line_user_id == line_user_id, Report.status == ReportStatus.DRAFT,
                                      Report.expires_at > now).order_by(Report.id.desc()).limit(1))
    return session.scalars(statement).first()


def start_draft(session: Session, line_user_id: str, *, now: datetime, ttl: timedelta = DRAFT_TTL) -> Report:
    """A new draft at the first step; an older draft of the same citizen is abandoned."""
    for old in session.scalars(select(Report).where(Report.line_user_id == line_user_id,
                                                    Report.status == ReportStatus.DRAFT)):
        old.status, old.updated_at = ReportStatus.EXPIRED, now
    draft = Report(status=ReportStatus.DRAFT, step=Step.CATEGORY.value, channel="line", line_user_id=line_user_id,
                   created_at=now, updated_at=now, expires_at=now + ttl)
    session.add(draft)
    session.flush()
    return draft


def step_of(draft: Report) -> Step:
    """The draft's current step."""
    return Step(draft.step)


def facts_of(draft: Report) -> Facts:
    """What the step table needs to know about this draft."""
    usable = [p for p in draft.photos if p.status in (PhotoStatus.PENDING, PhotoStatus.STORED)]
    return Facts(photo_count=len(usable), location_skipped=draft.location_skipped)


def apply_input(session: Session, draft: Report, given: Input, *, now: datetime, value: str = "",
                point: tuple[float, float] | None = None, ttl: timedelta = DRAFT_TTL) -> Decision:
    """Apply one answer: when the step table accepts it, store it and move the draft on."""
    decision = decide(step_of(draft), given, facts_of(draft))
    if decision.problem is not None:
        return decision
    _store(session, draft, given, value, point, now)
    draft.step, draft.updated_at, draft.expires_at = decision.step.value, now, now + ttl
    return decision


def _store(session: Session, draft: Report, given: Input, value: str, point: tuple[float, float] | None,
           now: datetime) -> None:
    if given is Input.CATEGORY:
        draft.category_code = value
    elif given is Input.PHOTO:
        draft.photos.append(ReportPhoto(position=len(draft.photos) + 1, line_message_id=value,
                                        status=PhotoStatus.PENDING, created_at=now))
        session.flush()
    elif given is Input.LOCATION and point is not None:
        draft.latitude, draft.longitude = point
        draft.address, draft.location_skipped, draft.place_text = value[:MAX_ADDRESS], False, ""
    elif given is Input.SKIP_LOCATION:
        draft.latitude = draft.longitude = None
        draft.address, draft.location_skipped = "", True
    elif given is Input.TEXT and draft.step == Step.PLACE.value:
        draft.place_text = value.strip()[:MAX_PLACE_TEXT]
    elif given is Input.TEXT and draft.step == Step.DESCRIPTION.value:
        draft.description = value.strip()[:MAX_DESCRIPTION]
    elif given in (Input.URGENT, Input.NOT_URGENT):
        draft.is_urgent = given is Input.URGENT
    elif given is Input.NO_DESCRIPTION:
        draft.description = ""


def has_photo_message(session: Session, line_message_id: str) -> bool:
    """Whether this LINE image was already added (a redelivered event must not add it twice)."""
    return session.scalar(select(ReportPhoto.id).where(ReportPhoto.line_message_id == line_message_id)) is not None


def abandon_draft(draft: Report, *, now: datetime) -> None:
    """The citizen cancelled: the draft is kept as expired (its photos are cleaned up with it)."""
    draft.status, draft.updated_at = ReportStatus.EXPIRED, now


def expire_drafts(session: Session, *, now: datetime, limit: int = 500) -> int:
    """Mark drafts untouched for their TTL as expired; returns how many."""
    stale = session.scalars(select(Report).where(Report.status == ReportStatus.DRAFT, Report.expires_at <= now)
                            .limit(limit)).all()
    for draft in stale:
        draft.status, draft.updated_at = ReportStatus.EXPIRED, now
    return len(stale)
