"""Report services: submit (route, dedupe, subscribe), staff's status changes and notes, hiding, redaction.

They take a Session and never commit. Pushes to citizens are stored as ReportNotice rows, each
with its retry key, and sent afterwards by reports/outbox.py (the worker calls it).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import JST
from core.line_gateway import retry_key_for
from reports.config import ReportConfig
from reports.flow import Step
from reports.geo import degrees_around, distance_m, ward_of
from reports.models import PhotoStatus, Report, ReportEvent, ReportNotice, ReportPhoto, ReportSubscription
from reports.status import NOTIFIED, OPEN, ReportStatus, can_change
from reports.storage import MediaStorage, delete_after_commit


class ReportError(Exception):
    """A report operation that cannot be done (unknown report, a change the workflow forbids)."""


@dataclass(frozen=True)
class Submission:
    """What submitting did: the report, the open report it duplicates (if any), and whether it was already in."""

    report: Report
    duplicate_of: Report | None = None
    already_submitted: bool = False


def route(config: ReportConfig, category_code: str, point: tuple[float, float] | None) -> tuple[str, str]:
    """(department key, area key) for a category at a place: a ward may override the category's department."""
    catalogue = config.catalogue
    department = catalogue.department_of(category_code).key
    ward = ward_of(point, config.wards) if point is not None else None
    if ward is None:
        return department, ""
    category = catalogue.category(category_code)
    override = ward.department_for(category_code, category.group if category else "")
    return (override if override in catalogue.departments else department), ward.key


def find_duplicate(session: Session, report: Report, *, radius_m: float) -> Report | None:
    """The oldest open report of the same category within `radius_m`, other than this one."""
    if report.point is None:
        return None
    lat, lon = report.point
    dlat, dlon = degrees_around(lat, radius_m)
    candidates = session.scalars(
        select(Report).where(Report.status.in_(OPEN), Report.category_code == report.category_code,
                             Report.id != report.id, Report.is_hidden.is_(False),
                             Report.latitude.between(lat - dlat, lat + dlat),
                             Report.longitude.between(lon - dlon, lon + dlon))
        .order_by(Report.id))
    return next((c for c in candidates if c.point and distance_m(c.point, report.point) <= radius_m), None)


def submit_report(session: Session, draft_id: int, config: ReportConfig, *, now: datetime) -> Submission:
    """Turn a finished draft into a received report with a receipt number; a second call changes nothing."""
    # Locked: a double tap processed by two workers at once submits once.
    report = session.scalars(select(Report).where(Report.id == draft_id).with_for_update()).first()
    if report is None:
        raise ReportError(f"no report {draft_id}")
    if report.status is not ReportStatus.DRAFT:
        return Submission(report, already_submitted=report.status is not ReportStatus.EXPIRED)
    if report.step != Step.CONFIRM.value or not report.category_code:
        raise ReportError("the draft is not finished")
    _receive(session, report, config, now=now)
    duplicate_of = _link_if_duplicate(session, report, config, now=now)
    if report.line_user_id:
        subscribe(session, (duplicate_of or report).id, report.line_user_id, report.receipt_number or "", now=now)
    return Submission(report, duplicate_of)


def _receive(session: Session, report: Report, config: ReportConfig, *, now: datetime) -> None:
    report.department, report.area = route(config, report.category_code, report.point)
    report.receipt_number = new_receipt_number(session, now)
    report.status, report.submitted_at, report.updated_at, report.expires_at = ReportStatus.RECEIVED, now, now, None
    session.add(ReportEvent(report_id=report.id, kind="submitted", new_status=ReportStatus.RECEIVED.value,
                            created_at=now))


def _link_if_duplicate(session: Session, report: Report, config: ReportConfig, *, now: datetime) -> Report | None:
    original = find_duplicate(session, report, radius_m=config.duplicate_radius_m)
    if original is None:
        return None
    report.status, report.duplicate_of_id, report.closed_at = ReportStatus.DUPLICATE, original.id, now
    session.add(ReportEvent(report_id=report.id, kind="status", old_status=ReportStatus.RECEIVED.value,
                            new_status=ReportStatus.DUPLICATE.value, note=f"auto: {original.receipt_number}",
                            created_at=now))
    session.add(ReportEvent(report_id=original.id, kind="linked", note=report.receipt_number or "",
                            created_at=now))
    return original


def new_receipt_number(session: Session, now: datetime) -> str:
    """`R260401-1234`: the day in Japan and four random digits, easy to read out on the phone."""
    while True:
        number = f"R{now.astimezone(JST):%y%m%d}-{secrets.randbelow(10_000):04d}"
        if session.scalar(select(Report.id).where(Report.receipt_number == number)) is None:
            return number


def subscribe(session: Session, report_id: int, line_user_id: str, receipt_number: str, *,
              now: datetime) -> ReportSubscription:
    """Let a citizen hear about a report's status (once, however often they are subscribed)."""
    existing = session.scalars(select(ReportSubscription).where(
        ReportSubscription.report_id == report_id, ReportSubscription.line_user_id == line_user_id)).first()
    if existing is not None:
        return existing
    subscription = ReportSubscription(report_id=report_id, line_user_id=line_user_id,
                                      receipt_number=receipt_number, created_at=now)
    session.add(subscription)
    session.flush()
    return subscription


def _submitted(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None or report.status in (ReportStatus.DRAFT, ReportStatus.EXPIRED):
        raise ReportError(f"no submitted report {report_id}")
    return report


def change_status(session: Session, report_id: int, new: ReportStatus, *, staff_id: int | None = None,
                  staff_name: str = "", note: str = "", message: str = "", duplicate_of: int | None = None,
                  now: datetime) -> Report:
    """Move a report along the workflow; the reporter (and followers) get a push when it is news to them.

    `note` stays with staff; `message` is told to the citizen (required as the reason for a rejection).
    """
    report = _submitted(session, report_id)
    old = report.status
    if not can_change(old, new):
        raise ReportError(f"cannot change a report from {old.value} to {new.value}")
    if new is ReportStatus.REJECTED and not message.strip():
        raise ReportError("a rejection needs a reason for the citizen")
    target = _duplicate_target(session, report, duplicate_of) if new is ReportStatus.DUPLICATE else None
    report.status, report.updated_at = new, now
    report.closed_at = now if new not in OPEN else None
    report.status_notes = message.strip()[:500]
    event = ReportEvent(report_id=report.id, kind="status", old_status=old.value, new_status=new.value,
                        note=note.strip(), public_message=message.strip(), staff_id=staff_id,
                        staff_name=staff_name, created_at=now)
    session.add(event)
    session.flush()
    if target is not None:
        report.duplicate_of_id = target.id
        _move_followers(session, report, target, now=now)
    elif old is ReportStatus.DUPLICATE:
        report.duplicate_of_id = None  # staff undid the link: it is a report of its own again
    if new in NOTIFIED:
        _notify_followers(session, report, event, now=now)
    return report


def _duplicate_target(session: Session, report: Report, duplicate_of: int | None) -> Report:
    target = session.get(Report, duplicate_of or 0)
    if target is None or target.id == report.id or target.status not in OPEN:
        raise ReportError("a duplicate must point at another open report")
    return target


def _move_followers(session: Session, report: Report, target: Report, *, now: datetime) -> None:
    for follower in followers(session, report.id):
        subscribe(session, target.id, follower.line_user_id, follower.receipt_number, now=now)


def followers(session: Session, report_id: int) -> list[ReportSubscription]:
    """Everyone who hears about this report."""
    return list(session.scalars(select(ReportSubscription).where(ReportSubscription.report_id == report_id)
                                .order_by(ReportSubscription.id)))


def _notify_followers(session: Session, report: Report, event: ReportEvent, *, now: datetime) -> None:
    for follower in followers(session, report.id):
        notice = ReportNotice(report_id=report.id, event_id=event.id, kind="status",
                              line_user_id=follower.line_user_id, receipt_number=follower.receipt_number,
                              created_at=now)
        session.add(notice)
        session.flush()
        # Stored before the first attempt, as inquiry replies are.
        notice.retry_key = retry_key_for("report-notice", str(notice.id))


def add_note(session: Session, report_id: int, note: str, *, staff_id: int | None = None, staff_name: str = "",
             now: datetime) -> ReportEvent:
    """A staff note on the report's history; the citizen never sees it."""
    report = _submitted(session, report_id)
    if not note.strip():
        raise ReportError("empty note")
    event = ReportEvent(report_id=report.id, kind="note", note=note.strip(), staff_id=staff_id,
                        staff_name=staff_name, created_at=now)
    session.add(event)
    report.updated_at = now
    session.flush()
    return event


def set_hidden(session: Session, report_id: int, hidden: bool, *, staff_id: int | None = None,
               staff_name: str = "", note: str = "", now: datetime) -> Report:
    """Hide a report from Open311, exports and duplicate checks (abuse, personal data), or show it again."""
    report = _submitted(session, report_id)
    report.is_hidden, report.updated_at = hidden, now
    session.add(ReportEvent(report_id=report.id, kind="hidden" if hidden else "shown", note=note.strip(),
                            staff_id=staff_id, staff_name=staff_name, created_at=now))
    return report


def redact_photo(session: Session, storage: MediaStorage, photo_id: int, *, staff_id: int | None = None,
                 staff_name: str = "", note: str = "", now: datetime) -> ReportPhoto:
    """Remove a photo for good (a face, a number plate): the file is deleted, the row remembers it was there.

    The file goes once the session commits, so a failed commit leaves the photo where the row says.
    """
    photo = session.get(ReportPhoto, photo_id)
    if photo is None:
        raise ReportError(f"no photo {photo_id}")
    if photo.storage_key:
        delete_after_commit(session, storage, [photo.storage_key])
    photo.status, photo.storage_key = PhotoStatus.REDACTED, None
    session.add(ReportEvent(report_id=photo.report_id, kind="redacted", note=note.strip() or f"photo {photo.position}",
                            staff_id=staff_id, staff_name=staff_name, created_at=now))
    return photo


def list_reports(session: Session, *, statuses: tuple[ReportStatus, ...] = tuple(OPEN), department: str = "",
                 category_code: str = "", include_hidden: bool = False, limit: int = 200) -> list[Report]:
    """Submitted reports for staff's work list, urgent ones first, then oldest first."""
    statement = select(Report).where(Report.status.in_(statuses or tuple(OPEN)))
    if department:
        statement = statement.where(Report.department == department)
    if category_code:
        statement = statement.where(Report.category_code == category_code)
    if not include_hidden:
        statement = statement.where(Report.is_hidden.is_(False))
    order = (Report.is_urgent.is_(True).desc(), Report.submitted_at, Report.id)
    return list(session.scalars(statement.order_by(*order).limit(limit)))


def history(session: Session, report_id: int) -> list[ReportEvent]:
    """The report's history, oldest first."""
    return list(session.scalars(select(ReportEvent).where(ReportEvent.report_id == report_id)
                                .order_by(ReportEvent.id)))


def create_external_report(session: Session, config: ReportConfig, *, category_code: str,
                           point: tuple[float, float] | None, address: str = "", description: str = "",
                           now: datetime) -> Submission:
    """A report from another system (Open311 POST): received at once, routed and checked for duplicates."""
    if config.catalogue.category(category_code) is None:
        raise ReportError(f"unknown category {category_code}")
    report = Report(status=ReportStatus.DRAFT, step=Step.CONFIRM.value, channel="open311",
                    category_code=category_code, address=address[:200], description=description[:2000],
                    location_skipped=point is None, created_at=now, updated_at=now)
    if point is not None:
        report.latitude, report.longitude = point
    session.add(report)
    session.flush()
    _receive(session, report, config, now=now)
    return Submission(report, _link_if_duplicate(session, report, config, now=now))


def report_counts(session: Session, *, start: datetime | None = None,
                  end: datetime | None = None) -> dict[tuple[str, str], int]:
    """Submitted reports in [start, end) counted by (status, category code), for the dashboard."""
    statement = (select(Report.status, Report.category_code, func.count())
                 .where(Report.submitted_at.is_not(None)).group_by(Report.status, Report.category_code))
    if start is not None:
        statement = statement.where(Report.submitted_at >= start)
    if end is not None:
        statement = statement.where(Report.submitted_at < end)
    return {(status.value, category): count for status, category, count in session.execute(statement)}
