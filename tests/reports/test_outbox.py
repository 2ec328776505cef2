"""The worker's report pass: photos fetched and cleaned after the reply, retried when LINE struggles."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from core.line_gateway import LineApiError, RecordingLineGateway
from handlers.report_replies import notice_builder
from reports.drafts import start_draft
from reports.models import PhotoStatus, Report, ReportPhoto
from reports.outbox import MAX_FETCH_ATTEMPTS, fetch_pending_photos, work_report_outbox
from reports.status import ReportStatus
from reports.storage import LocalMediaStorage
from tests.conftest import FIXED_NOW
from tests.reports.samples import jpeg_with_gps, submitted_report
from tests.webhook_events import USER


class FlakyContentLine(RecordingLineGateway):
    """LINE's data host answering 500 a given number of times before it gives the content."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def get_content(self, message_id: str) -> bytes:
        if self.failures > 0:
            self.failures -= 1
            raise LineApiError(500, "Internal Server Error")
        return super().get_content(message_id)


def _photo(session_factory) -> ReportPhoto:
    with session_factory() as session:
        return session.scalars(select(ReportPhoto)).one()


def test_a_download_that_fails_is_retried_later_with_growing_waits(session_factory, tmp_path: Path) -> None:
    storage = LocalMediaStorage(tmp_path)
    with session_factory.begin() as session:
        report = submitted_report(session, line_user_id=USER).report
        message_id = report.photos[0].line_message_id
    line = FlakyContentLine(failures=2)
    line.contents[message_id] = jpeg_with_gps((800, 600))
    now = FIXED_NOW
    with session_factory.begin() as session:
        assert fetch_pending_photos(session, line, storage, now=now) == 0
    first_wait = _photo(session_factory).next_attempt_at - now
    with session_factory.begin() as session:
        assert fetch_pending_photos(session, line, storage, now=now) == 0  # not due yet: LINE is not asked
    assert line.failures == 1
    now += first_wait
    with session_factory.begin() as session:
        fetch_pending_photos(session, line, storage, now=now)
    assert _photo(session_factory).next_attempt_at - now > first_wait
    now += timedelta(hours=1)
    with session_factory.begin() as session:
        assert fetch_pending_photos(session, line, storage, now=now) == 1
    photo = _photo(session_factory)
    assert photo.status is PhotoStatus.STORED and photo.attempts == 2
    with Image.open(tmp_path / photo.storage_key) as image:
        assert not image.getexif()


def test_after_enough_failures_the_photo_is_given_up_and_the_report_stays(session_factory, tmp_path: Path) -> None:
    with session_factory.begin() as session:
        submitted_report(session, line_user_id=USER)
    line = FlakyContentLine(failures=100)
    now = FIXED_NOW
    for _ in range(MAX_FETCH_ATTEMPTS):
        now += timedelta(days=1)
        with session_factory.begin() as session:
            fetch_pending_photos(session, line, LocalMediaStorage(tmp_path), now=now)
    photo = _photo(session_factory)
    assert photo.status is PhotoStatus.FAILED and photo.attempts == MAX_FETCH_ATTEMPTS
    with session_factory() as session:
        assert session.get(Report, photo.report_id).status is ReportStatus.RECEIVED


def test_the_worker_pass_expires_abandoned_drafts_and_skips_their_photos(session_factory, tmp_path: Path) -> None:
    with session_factory.begin() as session:
        draft = start_draft(session, USER, now=FIXED_NOW)
        draft.photos.append(ReportPhoto(position=1, line_message_id="abandoned", created_at=FIXED_NOW))
    line = RecordingLineGateway()
    with session_factory.begin() as session:
        work_report_outbox(session, line, LocalMediaStorage(tmp_path), notice_builder(None),
                           now=FIXED_NOW + timedelta(hours=25))
    with session_factory() as session:
        assert session.scalars(select(Report)).one().status is ReportStatus.EXPIRED
    assert _photo(session_factory).status is PhotoStatus.PENDING and line.calls == []
