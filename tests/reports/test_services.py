"""Report services on a real database: submit, route, dedupe, status changes pushed to every follower."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.line_gateway import LineApiError, RecordingLineGateway
from handlers.report_replies import notice_builder
from reports.config import DEFAULT_CONFIG, ReportConfig
from reports.geo import load_wards
from reports.models import PhotoStatus, Report, ReportNotice, ReportPhoto, ReportSubscription
from reports.outbox import deliver_report_notices
from reports.services import (ReportError, add_note, change_status, create_external_report, history, redact_photo,
                              route, set_hidden)
from reports.status import ReportStatus
from reports.storage import LocalMediaStorage
from tests.conftest import FIXED_NOW
from tests.reports.samples import CITY_HALL, FAR_IN_CITY, NEAR_CITY_HALL, submitted_report
from tests.webhook_events import OTHER_USER, USER

LATER = FIXED_NOW + timedelta(hours=3)


def _deliver(session_factory, line) -> int:
    with session_factory.begin() as session:
        return deliver_report_notices(session, line, notice_builder(None), now=LATER)


def test_a_submitted_report_has_a_receipt_a_department_and_its_reporter_subscribed(session_factory) -> None:
    with session_factory.begin() as session:
        submission = submitted_report(session, line_user_id=USER)
        report = submission.report
        assert report.status is ReportStatus.RECEIVED and report.receipt_number.startswith("R260401-")
        assert report.department == "road" and submission.duplicate_of is None
        [subscription] = session.scalars(select(ReportSubscription)).all()
        assert (subscription.report_id, subscription.line_user_id) == (report.id, USER)
        assert [e.kind for e in history(session, report.id)] == ["submitted"]


def test_a_status_change_is_pushed_once_with_a_retry_key_stored_before_the_first_attempt(session_factory) -> None:
    line = RecordingLineGateway()
    with session_factory.begin() as session:
        report = submitted_report(session, line_user_id=USER).report
    with session_factory.begin() as session:
        change_status(session, report.id, ReportStatus.IN_PROGRESS, staff_id=7, staff_name="道路管理課 田中",
                      note="明日現地確認", now=LATER)
        [notice] = session.scalars(select(ReportNotice)).all()
        assert notice.retry_key and notice.pushed_at is None
        retry_key = notice.retry_key
    assert _deliver(session_factory, line) == 1
    [push] = line.calls
    assert push.to == (USER,) and push.retry_key == retry_key
    assert report.receipt_number in push.messages[0]["text"] and "対応を始めました" in push.messages[0]["text"]
    assert "明日現地確認" not in push.messages[0]["text"]  # staff notes stay with staff
    assert _deliver(session_factory, line) == 0


def test_a_rejection_needs_a_reason_and_the_reason_reaches_the_citizen(session_factory) -> None:
    line = RecordingLineGateway()
    with session_factory.begin() as session:
        report = submitted_report(session, line_user_id=USER).report
    with session_factory.begin() as session, pytest.raises(ReportError):
        change_status(session, report.id, ReportStatus.REJECTED, staff_name="田中", now=LATER)
    with session_factory.begin() as session:
        change_status(session, report.id, ReportStatus.REJECTED, staff_name="田中", now=LATER,
                      message="こちらは県道のため、県の土木事務所へお伝えしました。")
    _deliver(session_factory, line)
    assert "県の土木事務所へお伝えしました" in line.texts()[0] and "対応できませんでした" in line.texts()[0]


@pytest.mark.parametrize(("old", "new"), [
    (ReportStatus.RESOLVED, ReportStatus.REJECTED),
    (ReportStatus.RESOLVED, ReportStatus.RECEIVED),
    (ReportStatus.RECEIVED, ReportStatus.DRAFT),
])
def test_the_workflow_refuses_changes_it_does_not_allow(session_factory, old, new) -> None:
    with session_factory.begin() as session:
        report = submitted_report(session, line_user_id=USER).report
        if old is not ReportStatus.RECEIVED:
            change_status(session, report.id, old, now=LATER)
        with pytest.raises(ReportError):
            change_status(session, report.id, new, message="理由", now=LATER)


def test_the_duplicate_reporter_hears_when_the_original_is_fixed(session_factory) -> None:
    line = RecordingLineGateway()
    with session_factory.begin() as session:
        original = submitted_report(session, line_user_id=USER, point=CITY_HALL).report
        second = submitted_report(session, line_user_id=OTHER_USER, point=NEAR_CITY_HALL)
        assert second.duplicate_of.id == original.id and second.report.status is ReportStatus.DUPLICATE
        second_receipt = second.report.receipt_number
    with session_factory.begin() as session:
        change_status(session, original.id, ReportStatus.RESOLVED, staff_name="田中", now=LATER)
    assert _deliver(session_factory, line) == 2
    pushes = {call.to[0]: call.messages[0]["text"] for call in line.calls}
    assert original.receipt_number in pushes[USER] and second_receipt in pushes[OTHER_USER]
    assert all("対応が完了しました" in text for text in pushes.values())


def test_a_report_far_away_or_already_closed_is_not_a_duplicate(session_factory) -> None:
    with session_factory.begin() as session:
        first = submitted_report(session, line_user_id=USER, point=CITY_HALL).report
        assert submitted_report(session, line_user_id=OTHER_USER, point=FAR_IN_CITY).duplicate_of is None
        change_status(session, first.id, ReportStatus.RESOLVED, now=LATER)
        assert submitted_report(session, line_user_id=OTHER_USER, point=NEAR_CITY_HALL).duplicate_of is None


def test_staff_marking_a_duplicate_moves_its_followers_to_the_original(session_factory) -> None:
    line = RecordingLineGateway()
    with session_factory.begin() as session:
        original = submitted_report(session, line_user_id=USER, point=CITY_HALL).report
        other = submitted_report(session, line_user_id=OTHER_USER, point=FAR_IN_CITY).report
        change_status(session, other.id, ReportStatus.DUPLICATE, duplicate_of=original.id, now=LATER)
    with session_factory.begin() as session:
        change_status(session, original.id, ReportStatus.IN_PROGRESS, now=LATER)
    _deliver(session_factory, line)
    assert sorted(call.to[0] for call in line.calls) == sorted([OTHER_USER, OTHER_USER, USER])


def test_a_hidden_report_is_not_a_duplicate_target_and_its_history_says_who_hid_it(session_factory) -> None:
    with session_factory.begin() as session:
        first = submitted_report(session, line_user_id=USER, point=CITY_HALL).report
        set_hidden(session, first.id, True, staff_id=3, staff_name="佐藤", note="いたずら", now=LATER)
        add_note(session, first.id, "現地確認済み", staff_name="佐藤", now=LATER)
        assert submitted_report(session, line_user_id=OTHER_USER, point=NEAR_CITY_HALL).duplicate_of is None
        assert [(e.kind, e.staff_name) for e in history(session, first.id)] == [
            ("submitted", ""), ("hidden", "佐藤"), ("note", "佐藤")]


def _stored_photo(session_factory, storage: LocalMediaStorage) -> int:
    """A submitted report's photo, on disk at reports/2026/04/face.jpg; returns the photo's id."""
    storage.put("reports/2026/04/face.jpg", b"jpeg", "image/jpeg")
    with session_factory.begin() as session:
        photo = submitted_report(session, line_user_id=USER).report.photos[0]
        photo.status, photo.storage_key = PhotoStatus.STORED, "reports/2026/04/face.jpg"
        session.flush()
        return photo.id


def test_a_redacted_photo_is_deleted_from_storage(session_factory, tmp_path: Path) -> None:
    storage = LocalMediaStorage(tmp_path)
    photo_id = _stored_photo(session_factory, storage)
    with session_factory.begin() as session:
        photo = redact_photo(session, storage, photo_id, staff_name="佐藤", now=LATER)
        assert photo.status is PhotoStatus.REDACTED and photo.storage_key is None
        assert (tmp_path / "reports/2026/04/face.jpg").exists()  # until the commit
    assert not (tmp_path / "reports/2026/04/face.jpg").exists()


def test_a_redaction_that_is_rolled_back_keeps_the_photo(session_factory, tmp_path: Path) -> None:
    storage = LocalMediaStorage(tmp_path)
    photo_id = _stored_photo(session_factory, storage)
    with pytest.raises(RuntimeError), session_factory.begin() as session:
        redact_photo(session, storage, photo_id, staff_name="佐藤", now=LATER)
        raise RuntimeError("the commit never happens")
    assert (tmp_path / "reports/2026/04/face.jpg").exists()
    with session_factory() as session:
        assert session.get(ReportPhoto, photo_id).storage_key == "reports/2026/04/face.jpg"


def test_a_ward_can_send_a_category_to_another_department(tmp_path: Path) -> None:
    square = [[135.18, 34.68], [135.21, 34.68], [135.21, 34.70], [135.18, 34.70], [135.18, 34.68]]
    wards = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"key": "chuo", "name": "中央地区", "departments": {"道路": "park"}},
        "geometry": {"type": "Polygon", "coordinates": [square]}}]}
    path = tmp_path / "wards.geojson"
    path.write_text(json.dumps(wards, ensure_ascii=False), encoding="utf-8")
    config = ReportConfig(wards=load_wards(path))
    assert route(config, "road_surface", CITY_HALL) == ("park", "chuo")
    assert route(config, "river", CITY_HALL) == ("river", "chuo")
    assert route(config, "road_surface", (34.75, 135.30)) == ("road", "")
    assert route(DEFAULT_CONFIG, "no_such_code", None) == ("main", "")


class FailingPushLine(RecordingLineGateway):
    """LINE refusing pushes with a given status."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status = status

    def push(self, to, messages, *, retry_key):  # type: ignore[no-untyped-def]
        raise LineApiError(self.status, "refused")


def test_a_push_lines_refuses_for_good_is_recorded_and_a_busy_line_is_retried_later(session_factory) -> None:
    with session_factory.begin() as session:
        report = submitted_report(session, line_user_id=USER).report
        change_status(session, report.id, ReportStatus.IN_PROGRESS, now=LATER)
    assert _deliver(session_factory, FailingPushLine(500)) == 0
    with session_factory() as session:
        assert session.scalars(select(ReportNotice)).one().push_error is None  # still pending
    assert _deliver(session_factory, FailingPushLine(403)) == 0
    with session_factory() as session:
        assert session.scalars(select(ReportNotice)).one().push_error == "LINE 403"


def test_a_report_from_another_system_is_received_and_checked_for_duplicates(session_factory) -> None:
    with session_factory.begin() as session:
        first = create_external_report(session, DEFAULT_CONFIG, category_code="street_light", point=CITY_HALL,
                                       description="街灯が消えている", now=FIXED_NOW)
        second = create_external_report(session, DEFAULT_CONFIG, category_code="street_light",
                                        point=NEAR_CITY_HALL, now=FIXED_NOW)
        assert first.report.status is ReportStatus.RECEIVED and first.report.channel == "open311"
        assert second.duplicate_of.id == first.report.id
        with pytest.raises(ReportError):
            create_external_report(session, DEFAULT_CONFIG, category_code="nope", point=None, now=FIXED_NOW)
        assert session.scalars(select(Report).where(Report.channel == "open311")).all()


def test_two_workers_submitting_the_same_draft_at_once_make_one_report(session_factory) -> None:
    import threading

    from reports.drafts import apply_input, start_draft
    from reports.flow import Input
    from reports.services import submit_report

    with session_factory.begin() as session:
        draft = start_draft(session, USER, now=FIXED_NOW)
        for given, value in ((Input.CATEGORY, "river"), (Input.PHOTO, "p-1"), (Input.PHOTOS_DONE, ""),
                             (Input.SKIP_LOCATION, ""), (Input.TEXT, "橋の下"), (Input.URGENT, ""),
                             (Input.NO_DESCRIPTION, "")):
            apply_input(session, draft, given, value=value, now=FIXED_NOW)
        draft_id = draft.id
    results: list[bool] = []

    def worker() -> None:
        with session_factory.begin() as session:
            results.append(submit_report(session, draft_id, DEFAULT_CONFIG, now=LATER).already_submitted)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False, True]
    with session_factory() as session:
        events = session.scalars(select(ReportSubscription)).all()
        assert len(events) == 1 and len(history(session, draft_id)) == 1


def test_undoing_a_duplicate_makes_it_a_report_of_its_own_again(session_factory) -> None:
    with session_factory.begin() as session:
        submitted_report(session, line_user_id=USER, point=CITY_HALL)
        second = submitted_report(session, line_user_id=OTHER_USER, point=NEAR_CITY_HALL).report
        change_status(session, second.id, ReportStatus.RECEIVED, staff_name="田中", note="別の穴でした", now=LATER)
        assert second.status is ReportStatus.RECEIVED and second.duplicate_of_id is None and second.closed_at is None


def test_staff_see_open_reports_of_their_department_urgent_first(session_factory) -> None:
    from reports.services import list_reports

    with session_factory.begin() as session:
        calm = submitted_report(session, line_user_id=USER, point=CITY_HALL).report
        urgent = submitted_report(session, line_user_id=USER, point=FAR_IN_CITY, category="street_light",
                                  now=LATER).report
        urgent.is_urgent = True
        park = submitted_report(session, line_user_id=USER, point=None, category="park_toilet").report
        done = submitted_report(session, line_user_id=USER, point=(34.70, 135.18), category="sign").report
        change_status(session, done.id, ReportStatus.RESOLVED, now=LATER)
        assert [r.id for r in list_reports(session, department="road")] == [urgent.id, calm.id]
        assert [r.id for r in list_reports(session, category_code="park_toilet")] == [park.id]
        assert [r.id for r in list_reports(session, statuses=(ReportStatus.RESOLVED,))] == [done.id]
