"""Personal data over time: retention purges, and one citizen's export and deletion."""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.privacy import (ANONYMISED_ON_REQUEST, STRAY_FILE_GRACE, RetentionPolicy, delete_citizen,
                         export_citizen, purge_expired)
from core.models import LineUser, MessageLog
from faq.models import QuestionLog
from faq.stats import question_stats
from inquiries.models import Inquiry
from reports.drafts import apply_input, expire_drafts, start_draft
from reports.flow import Input
from reports.models import PhotoStatus, Report, ReportEvent, ReportNotice, ReportPhoto, ReportSubscription
from reports.services import change_status
from reports.status import ReportStatus
from reports.storage import LocalMediaStorage, new_photo_key
from tests.conftest import FIXED_NOW
from tests.reports.samples import FAR_IN_CITY, jpeg_with_gps, submitted_report
from tests.webhook_events import OTHER_USER, USER, follow_event, postback_event, text_event

THREE_YEARS = timedelta(days=RetentionPolicy().report_days)


@pytest.fixture
def media(tmp_path: Path) -> LocalMediaStorage:
    """Report photos on disk, as MEDIA_DIR holds them."""
    return LocalMediaStorage(tmp_path / "media")


def _visit(webhook, user: str = USER) -> None:
    webhook.send(follow_event(user_id=user))
    webhook.send(text_event("避難所はどこにありますか", user_id=user))
    webhook.send(postback_event("action=inquiry", user_id=user))
    webhook.send(text_event("自宅の前の側溝があふれています", user_id=user))
    webhook.send(postback_event("action=pref_toggle&c=tourism", user_id=user))


def test_a_citizen_can_see_everything_kept_about_them(webhook, session_factory) -> None:
    _visit(webhook)
    with session_factory() as session:
        exported = export_citizen(session, USER)
    assert exported["account"]["followed_at"] is not None
    assert [q["text"] for q in exported["questions"]] == ["避難所はどこにありますか"]
    assert exported["inquiries"][0]["messages"][0]["text"] == "自宅の前の側溝があふれています"
    assert any(m["text"] == "避難所はどこにありますか" for m in exported["messages"])
    assert exported["delivery_preferences"]["has_chosen"] is True


def test_deleting_a_citizen_erases_their_words_and_keeps_the_anonymous_counts(webhook, session_factory,
                                                                              media) -> None:
    _visit(webhook)
    _visit(webhook, OTHER_USER)
    with session_factory() as session:
        before = question_stats(session)
    with session_factory.begin() as session:
        delete_citizen(session, USER, media, now=FIXED_NOW)
    with session_factory() as session:
        assert export_citizen(session, USER)["account"] is None
        assert export_citizen(session, USER)["questions"] == []
        assert session.scalar(select(func.count()).select_from(Inquiry).where(Inquiry.line_user_id == USER)) == 0
        assert session.scalar(select(func.count()).select_from(MessageLog).where(MessageLog.line_user_id == USER)) == 0
        after = question_stats(session)
        assert export_citizen(session, OTHER_USER)["questions"]  # the other citizen is untouched
    assert (after["total_questions"], after["answer_rate"]) == (before["total_questions"], before["answer_rate"])


def test_old_personal_data_is_purged_by_the_retention_policy(webhook, session_factory, media) -> None:
    _visit(webhook)
    policy = RetentionPolicy(message_days=90, question_text_days=365, inquiry_days=1095, webhook_days=30)
    with session_factory.begin() as session:
        assert purge_expired(session, policy, media, now=FIXED_NOW + timedelta(days=10)) == {
            "stray_photo_files": 0, "messages": 0, "question_texts": 0, "inquiries": 0, "webhook_payloads": 0,
            "report_drafts": 0, "report_photos": 0, "reports_anonymised": 0}
    with session_factory.begin() as session:
        counts = purge_expired(session, policy, media, now=FIXED_NOW + timedelta(days=400))
    assert counts["messages"] > 0 and counts["question_texts"] == 1 and counts["webhook_payloads"] > 0
    assert counts["inquiries"] == 0  # still open: an open inquiry is never purged
    with session_factory() as session:
        question = session.scalars(select(QuestionLog)).one()
        assert question.text is None and question.outcome is not None
        assert session.scalar(select(func.count()).select_from(LineUser)) == 1


def test_the_policy_reads_the_environment_with_safe_defaults() -> None:
    policy = RetentionPolicy.from_env({"RETENTION_MESSAGE_DAYS": "30", "RETENTION_INQUIRY_DAYS": "many",
                                       "RETENTION_REPORT_DRAFT_DAYS": "2", "RETENTION_REPORT_DAYS": "-1"})
    assert (policy.message_days, policy.inquiry_days) == (30, RetentionPolicy().inquiry_days)
    assert (policy.report_draft_days, policy.report_days) == (2, 3 * 365)
    assert RetentionPolicy.from_env({}) == RetentionPolicy()


def _store_photos(session, media: LocalMediaStorage, report: Report, *, now: datetime = FIXED_NOW) -> list[Path]:
    """What the worker does once LINE gives the photos: clean JPEGs on disk, keys on the rows."""
    files = []
    for photo in report.photos:
        key = new_photo_key(now)
        media.put(key, jpeg_with_gps((64, 48)), "image/jpeg")
        photo.status, photo.storage_key, photo.stored_at = PhotoStatus.STORED, key, now
        files.append(media.path_of(key))
    session.flush()
    return files


def _closed_report(session, media: LocalMediaStorage, user: str, *, closed_at: datetime,
                   point=None) -> tuple[int, list[Path]]:
    """A report submitted by `user` with a photo on disk, resolved at `closed_at` (the reporter told)."""
    report = submitted_report(session, line_user_id=user, point=point or FAR_IN_CITY, now=closed_at).report
    files = _store_photos(session, media, report, now=closed_at)
    change_status(session, report.id, ReportStatus.RESOLVED, message="補修しました", now=closed_at)
    return report.id, files


def _draft(session, media: LocalMediaStorage, user: str, *, now: datetime) -> tuple[int, list[Path]]:
    """A draft with a photo on disk and the citizen's place words, left at the location step."""
    draft = start_draft(session, user, now=now)
    apply_input(session, draft, Input.CATEGORY, value="gutter", now=now)
    apply_input(session, draft, Input.PHOTO, value=f"draft-photo-{user}-{now.timestamp():.0f}", now=now)
    return draft.id, _store_photos(session, media, draft, now=now)


def _count(session, table, *criteria) -> int:
    return session.scalar(select(func.count()).select_from(table).where(*criteria))


def test_an_old_closed_report_loses_its_photos_and_reporter_and_stays_as_an_anonymous_record(
        session_factory, media) -> None:
    with session_factory.begin() as session:
        old_id, old_files = _closed_report(session, media, USER, closed_at=FIXED_NOW)
        young_id, young_files = _closed_report(session, media, OTHER_USER, closed_at=FIXED_NOW + timedelta(days=400))
        still_open = submitted_report(session, line_user_id=USER, now=FIXED_NOW)
        open_files = _store_photos(session, media, still_open.report)
    assert all(f.exists() for f in old_files + young_files + open_files)
    later = FIXED_NOW + THREE_YEARS + timedelta(days=1)

    with session_factory.begin() as session:
        counts = purge_expired(session, RetentionPolicy(), media, now=later)

    assert (counts["reports_anonymised"], counts["report_photos"], counts["report_drafts"]) == (1, 1, 0)
    assert not any(f.exists() for f in old_files)
    assert all(f.exists() for f in young_files + open_files)
    with session_factory() as session:
        old = session.get(Report, old_id)
        assert (old.line_user_id, old.place_text, old.description) == (None, "", "")
        assert old.status is ReportStatus.RESOLVED and old.receipt_number and old.category_code == "road_surface"
        assert old.point == FAR_IN_CITY and old.status_notes == "補修しました"
        assert [e.kind for e in session.scalars(select(ReportEvent).where(ReportEvent.report_id == old_id)
                                                .order_by(ReportEvent.id))] == ["submitted", "status", "anonymised"]
        assert _count(session, ReportPhoto, ReportPhoto.report_id == old_id) == 0
        assert _count(session, ReportSubscription, ReportSubscription.report_id == old_id) == 0
        assert _count(session, ReportNotice, ReportNotice.report_id == old_id) == 0
        young = session.get(Report, young_id)
        assert young.line_user_id == OTHER_USER and young.description == "穴があります" and len(young.photos) == 1
        assert _count(session, ReportSubscription, ReportSubscription.report_id == young_id) == 1
        assert session.get(Report, still_open.report.id).line_user_id == USER  # open: never purged
    with session_factory.begin() as session:  # the next night has nothing left to do
        again = purge_expired(session, RetentionPolicy(), media, now=later + timedelta(days=1))
    assert (again["reports_anonymised"], again["report_photos"]) == (0, 0)


def test_an_abandoned_draft_is_deleted_with_its_photo_after_the_draft_window(session_factory, media) -> None:
    with session_factory.begin() as session:
        abandoned_id, abandoned_files = _draft(session, media, USER, now=FIXED_NOW)
        expire_drafts(session, now=FIXED_NOW + timedelta(days=2))  # what the worker does after 24 hours
        # Past its expiry but not yet marked by the worker: abandoned all the same.
        unmarked_id, unmarked_files = _draft(session, media, OTHER_USER, now=FIXED_NOW)
    policy = RetentionPolicy(report_draft_days=7)
    expired_at = FIXED_NOW + timedelta(hours=24)

    with session_factory.begin() as session:
        assert purge_expired(session, policy, media, now=expired_at + timedelta(days=6))["report_drafts"] == 0
        # A citizen in the middle of a report keeps their draft, however old the others are.
        current_id, current_files = _draft(session, media, USER, now=expired_at + timedelta(days=8))
    assert all(f.exists() for f in abandoned_files + unmarked_files)

    with session_factory.begin() as session:
        counts = purge_expired(session, policy, media, now=expired_at + timedelta(days=8))

    assert (counts["report_drafts"], counts["report_photos"]) == (2, 2)
    assert not any(f.exists() for f in abandoned_files + unmarked_files)
    assert all(f.exists() for f in current_files)
    with session_factory() as session:
        assert session.get(Report, abandoned_id) is None and session.get(Report, unmarked_id) is None
        assert _count(session, ReportPhoto, ReportPhoto.report_id.in_([abandoned_id, unmarked_id])) == 0
        assert session.get(Report, current_id).status is ReportStatus.DRAFT


def test_a_purge_that_is_rolled_back_deletes_no_photo_file(session_factory, media) -> None:
    with session_factory.begin() as session:
        report_id, files = _closed_report(session, media, USER, closed_at=FIXED_NOW)
    with pytest.raises(RuntimeError), session_factory.begin() as session:
        assert purge_expired(session, RetentionPolicy(report_days=0), media,
                             now=FIXED_NOW + timedelta(days=1))["report_photos"] == 1
        raise RuntimeError("the commit never happens")
    assert all(f.exists() for f in files)
    with session_factory() as session:
        assert session.get(Report, report_id).line_user_id == USER
        assert _count(session, ReportPhoto, ReportPhoto.report_id == report_id) == 1


def test_a_missing_photo_file_does_not_stop_the_purge(session_factory, media) -> None:
    with session_factory.begin() as session:
        report_id, files = _closed_report(session, media, USER, closed_at=FIXED_NOW)
    files[0].unlink()
    with session_factory.begin() as session:
        assert purge_expired(session, RetentionPolicy(report_days=0), media,
                             now=FIXED_NOW + timedelta(days=1))["report_photos"] == 1
    with session_factory() as session:
        assert session.get(Report, report_id).line_user_id is None


def _written_at(path: Path, moment: datetime) -> Path:
    os.utime(path, (moment.timestamp(), moment.timestamp()))
    return path


def test_photo_files_no_report_points_at_are_deleted_once_past_a_days_grace(session_factory, media) -> None:
    """What a crash between a purge's commit and its file deletion, or a worker killed mid-write, leaves."""
    with session_factory.begin() as session:
        kept_id, kept_files = _closed_report(session, media, USER, closed_at=FIXED_NOW)
    for path in kept_files:
        _written_at(path, FIXED_NOW)
    strays = [new_photo_key(FIXED_NOW), "reports/2026/04/.incoming-k3j2h1"]
    for key in strays:
        media.put(key, b"a citizen's photo", "image/jpeg")
        _written_at(media.path_of(key), FIXED_NOW)
    being_stored = new_photo_key(FIXED_NOW)  # its row is not committed yet
    media.put(being_stored, b"a photo a worker is storing", "image/jpeg")
    _written_at(media.path_of(being_stored), FIXED_NOW + timedelta(days=2))
    now = FIXED_NOW + timedelta(days=2) + STRAY_FILE_GRACE / 2

    with pytest.raises(RuntimeError), session_factory.begin() as session:
        assert purge_expired(session, RetentionPolicy(), media, now=now)["stray_photo_files"] == 2
        raise RuntimeError("rolled back: nothing is deleted")
    assert all(media.path_of(key).exists() for key in strays)
    with session_factory.begin() as session:
        assert purge_expired(session, RetentionPolicy(), media, now=now)["stray_photo_files"] == 2

    assert not any(media.path_of(key).exists() for key in strays)
    assert media.path_of(being_stored).exists() and all(f.exists() for f in kept_files)
    with session_factory() as session:
        assert len(session.get(Report, kept_id).photos) == 1


def test_the_export_shows_a_citizens_reports_drafts_and_followed_reports(session_factory, media) -> None:
    with session_factory.begin() as session:
        report = submitted_report(session, line_user_id=USER, point=FAR_IN_CITY).report
        _store_photos(session, media, report)
        _draft(session, media, USER, now=FIXED_NOW + timedelta(hours=1))
        # The same spot reported again: a duplicate, whose reporter follows the original from then on.
        duplicate = submitted_report(session, line_user_id=OTHER_USER, point=FAR_IN_CITY).report
        receipts = report.receipt_number, duplicate.receipt_number
    with session_factory() as session:
        exported = export_citizen(session, USER)
        followed = export_citizen(session, OTHER_USER)["report_subscriptions"]
    mine, draft = exported["reports"]
    assert (mine["receipt_number"], mine["status"], mine["category"], mine["photos"]) == (
        receipts[0], "received", "road_surface", 1)
    assert (mine["latitude"], mine["longitude"]) == FAR_IN_CITY
    assert mine["address"] == "みなと市中央1丁目" and mine["description"] == "穴があります"
    assert (mine["submitted_at"], mine["closed_at"]) == (FIXED_NOW.isoformat(), None)
    assert (draft["status"], draft["receipt_number"], draft["category"], draft["photos"]) == ("draft", None, "gutter", 1)
    assert [(s["following"], s["receipt_number"]) for s in exported["report_subscriptions"]] == [(receipts[0],) * 2]
    # The duplicate's reporter hears about the original, under their own receipt number.
    assert [(s["following"], s["receipt_number"]) for s in followed] == [receipts]


def test_deleting_a_citizen_unlinks_their_reports_and_deletes_drafts_and_photos(session_factory, media) -> None:
    with session_factory.begin() as session:
        report_id, report_files = _closed_report(session, media, USER, closed_at=FIXED_NOW)
        draft_id, draft_files = _draft(session, media, USER, now=FIXED_NOW + timedelta(hours=1))
        other_id, other_files = _closed_report(session, media, OTHER_USER, closed_at=FIXED_NOW)

    with session_factory.begin() as session:
        counts = delete_citizen(session, USER, media, now=FIXED_NOW)

    assert (counts["reports"], counts["report_drafts"], counts["report_photos"]) == (1, 1, 2)
    assert (counts["report_subscriptions"], counts["report_notices"]) == (1, 1)
    assert not any(f.exists() for f in report_files + draft_files)
    assert all(f.exists() for f in other_files)
    with session_factory() as session:
        report = session.get(Report, report_id)
        assert (report.line_user_id, report.place_text, report.description, report.photos) == (None, "", "", [])
        assert report.status is ReportStatus.RESOLVED and report.point == FAR_IN_CITY  # the city's record
        assert session.get(Report, draft_id) is None
        last = session.scalars(select(ReportEvent).where(ReportEvent.report_id == report_id)
                               .order_by(ReportEvent.id.desc())).first()
        assert (last.kind, last.note) == ("anonymised", ANONYMISED_ON_REQUEST)
        assert _count(session, ReportSubscription, ReportSubscription.line_user_id == USER) == 0
        assert _count(session, ReportNotice, ReportNotice.line_user_id == USER) == 0
        assert export_citizen(session, USER)["reports"] == []
        assert session.get(Report, other_id).line_user_id == OTHER_USER and len(session.get(Report, other_id).photos) == 1


def test_the_cli_exports_and_deletes_a_citizen(webhook, settings, session_factory, media, monkeypatch,
                                               capsys) -> None:
    import json

    from bot.cli import main

    _visit(webhook)
    with session_factory.begin() as session:
        _, files = _closed_report(session, media, USER, closed_at=FIXED_NOW)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEDIA_DIR", str(media.root))
    capsys.readouterr()
    assert main(["privacy", "export", USER]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["questions"][0]["text"] == "避難所はどこにありますか"
    assert exported["reports"][0]["description"] == "穴があります"
    assert main(["privacy", "delete", USER]) == 0
    assert json.loads(capsys.readouterr().out)["account"] == 1
    assert not any(f.exists() for f in files)
    assert main(["privacy", "purge"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {
        "stray_photo_files", "messages", "question_texts", "inquiries", "webhook_payloads",
        "report_drafts", "report_photos", "reports_anonymised"}


def test_the_cli_purge_deletes_old_report_photos_from_media_dir(settings, session_factory, media, monkeypatch,
                                                               capsys) -> None:
    import json

    from bot.cli import main

    with session_factory.begin() as session:
        report_id, files = _closed_report(session, media, USER, closed_at=FIXED_NOW)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MEDIA_DIR", str(media.root))
    monkeypatch.setenv("RETENTION_REPORT_DAYS", "0")  # the command runs on today's clock, after FIXED_NOW
    capsys.readouterr()
    assert main(["privacy", "purge"]) == 0
    assert json.loads(capsys.readouterr().out)["report_photos"] == 1
    assert not any(f.exists() for f in files)
    with session_factory() as session:
        assert session.get(Report, report_id).line_user_id is None


def test_the_scheduler_purges_by_the_retention_policy(webhook, session_factory, media, monkeypatch) -> None:
    from bot.scheduler import BroadcastScheduler

    _visit(webhook)
    with session_factory.begin() as session:
        report_id, files = _closed_report(session, media, USER, closed_at=FIXED_NOW)
    monkeypatch.setenv("RETENTION_MESSAGE_DAYS", "1")
    monkeypatch.setenv("RETENTION_REPORT_DAYS", "1")
    monkeypatch.setenv("MEDIA_DIR", str(media.root))
    engine = session_factory.kw["bind"]
    scheduler = BroadcastScheduler(session_factory, engine, clock=lambda: FIXED_NOW + timedelta(days=2))
    scheduler.purge()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(MessageLog)) == 0
        assert session.get(Report, report_id).line_user_id is None
    assert not any(f.exists() for f in files)
