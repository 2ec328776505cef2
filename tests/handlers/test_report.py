"""Damage reports over LINE: the rich menu's 通報する to a receipt, the ways back and out, and bad input."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from core.config import Settings
from core.conversation import ConversationState
from reports.models import PhotoStatus, Report, ReportPhoto
from reports.status import ReportStatus
from tests.reports.samples import (CITY_HALL, FAR_IN_CITY, NEAR_CITY_HALL, OUTSIDE_CITY, image_event, jpeg_with_gps,
                                   location_event, png_with_alpha, video_event)
from tests.webhook_events import OTHER_USER, USER, postback_event, sticker_event, text_event

RECEIPT = re.compile(r"受付番号：(R\d{6}-\d{4})")


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """Photos go to a temporary MEDIA_DIR."""
    return settings.with_changes(media_dir=str(tmp_path / "media"))


def _last(line) -> dict:
    return line.calls[-1].messages[-1]


def _texts_of_last_call(line) -> list[str]:
    return [m["text"] for m in line.calls[-1].messages]


def _labels(message: dict) -> list[str]:
    return [item["action"]["label"] for item in message.get("quickReply", {}).get("items", [])]


def _tap(webhook, line, label: str, **kwargs) -> None:
    item = next(i["action"] for i in _last(line)["quickReply"]["items"] if i["action"]["label"] == label)
    webhook.send(postback_event(item["data"], **kwargs))


def _reports(session_factory) -> list[Report]:
    with session_factory() as session:
        return list(session.scalars(select(Report).order_by(Report.id)))


def _walk_to_confirm(webhook, line, *, point=CITY_HALL, category="道路の穴・段差", user=USER) -> None:
    webhook.send(postback_event("action=report", user_id=user))
    _tap(webhook, line, category, user_id=user)
    webhook.send(image_event(user_id=user))
    _tap(webhook, line, "次へ", user_id=user)
    webhook.send(location_event(point, user_id=user))
    _tap(webhook, line, "危険はない", user_id=user)
    webhook.send(text_event("直径30cmほどの穴があります", user_id=user))


def test_a_citizen_reports_a_pothole_from_the_menu_to_a_receipt(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=report"))
    assert "通報の種類を選んでください" in _last(line)["text"]
    assert "道路の穴・段差" in _labels(_last(line)) and "その他" in _labels(_last(line))
    _tap(webhook, line, "道路の穴・段差")
    assert "写真を送ってください" in _last(line)["text"]
    webhook.send(image_event(message_id="photo-1"))
    assert "写真を受け取りました（1枚）" in _last(line)["text"]
    _tap(webhook, line, "次へ")
    assert {"type": "location", "label": "位置情報を送る"} in [i["action"] for i in _last(line)["quickReply"]["items"]]
    webhook.send(location_event(CITY_HALL))
    assert "危険がありますか" in _last(line)["text"]
    _tap(webhook, line, "危険はない")
    webhook.send(text_event("直径30cmほどの穴があります"))
    summary = _last(line)["text"]
    assert "種類：道路の穴・段差" in summary and "写真：1枚" in summary and "みなと市中央1丁目" in summary
    _tap(webhook, line, "送信する")
    receipt = RECEIPT.search(_last(line)["text"]).group(1)
    [report] = _reports(session_factory)
    assert report.receipt_number == receipt and report.status is ReportStatus.RECEIVED
    assert report.department == "road" and report.is_urgent is False
    assert (report.latitude, report.longitude) == CITY_HALL
    assert [p.line_message_id for p in report.photos] == ["photo-1"]


def test_saying_it_is_dangerous_shows_the_departments_phone_number_at_once(webhook, line) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "街路灯")
    webhook.send(image_event())
    _tap(webhook, line, "次へ")
    webhook.send(location_event(CITY_HALL))
    _tap(webhook, line, "危険がある")
    [call, next_question] = _texts_of_last_call(line)
    assert "道路管理課：000-100-2001" in call and "状況を文章で教えてください" in next_question


def test_the_place_can_be_given_in_words_when_no_location_is_sent(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "公園のトイレ")
    webhook.send(image_event())
    _tap(webhook, line, "次へ")
    _tap(webhook, line, "住所などで伝える")
    webhook.send(text_event("みなと中央公園の北側トイレ"))
    assert "危険がありますか" in _last(line)["text"]
    _tap(webhook, line, "戻る")
    assert "住所や目印" in _last(line)["text"]  # back to the words, not to the map
    webhook.send(text_event("みなと中央公園の南側トイレ"))
    _tap(webhook, line, "危険はない")
    _tap(webhook, line, "なし")
    assert "場所：みなと中央公園の南側トイレ" in _last(line)["text"]
    _tap(webhook, line, "送信する")
    [report] = _reports(session_factory)
    assert report.location_skipped and report.point is None and report.department == "park"


def test_back_returns_one_step_and_keeps_what_was_answered(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "側溝・ふた")
    webhook.send(image_event())
    _tap(webhook, line, "戻る")
    assert "通報の種類を選んでください" in _last(line)["text"]
    _tap(webhook, line, "ガードレール・柵")
    assert "ガードレール・柵" in _last(line)["text"] and "次へ" in _labels(_last(line))  # the photo is still there
    [report] = _reports(session_factory)
    assert report.category_code == "guardrail" and len(report.photos) == 1


def test_typed_words_work_like_the_buttons(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=report"))
    webhook.send(text_event("カーブミラー"))
    assert "カーブミラー" in _last(line)["text"]
    webhook.send(text_event("戻る"))
    assert "通報の種類" in _last(line)["text"]
    webhook.send(text_event("やめる"))
    assert "取りやめました" in _last(line)["text"]
    assert _reports(session_factory)[0].status is ReportStatus.EXPIRED


def test_cancel_at_any_step_leaves_the_report_and_the_next_question_goes_to_the_faq(webhook, line,
                                                                                   session_factory) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "街路樹")
    webhook.send(image_event())
    _tap(webhook, line, "やめる")
    assert "取りやめました" in _last(line)["text"]
    webhook.send(text_event("粗大ごみはどのように出せばよいですか"))
    assert "粗大ごみは事前申込制です" in line.calls[-1].messages[0]["text"]
    with session_factory() as session:
        assert session.scalars(select(ConversationState)).first() is None


def test_a_question_mid_report_is_answered_and_the_draft_is_kept(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    webhook.send(text_event("粗大ごみはどのように出せばよいですか"))
    messages = line.calls[-1].messages
    assert "粗大ごみは事前申込制です" in messages[0]["text"]
    assert "通報の入力は途中のままです" in messages[-1]["text"]
    _tap(webhook, line, "続きから")
    assert "写真を送ってください" in _last(line)["text"]
    webhook.send(image_event())
    assert "写真を受け取りました" in _last(line)["text"]


def test_a_draft_survives_a_detour_to_another_menu(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    webhook.send(image_event())
    webhook.send(postback_event("action=inquiry"))  # another conversation takes over the messages
    webhook.send(postback_event("action=cancel"))
    webhook.send(postback_event("action=report"))
    assert "作成途中の通報があります" in _last(line)["text"]
    _tap(webhook, line, "続きから")
    assert "写真を送ってください" in _last(line)["text"] and "次へ" in _labels(_last(line))


def test_a_draft_abandoned_for_24_hours_expires(webhook, line, session_factory, clock, app) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    clock.advance(24 * 3600 + 1)
    webhook.send(image_event())
    assert "画像を受け取りました" in _last(line)["text"]  # an ordinary image again, not a report photo
    webhook.send(postback_event("action=report"))
    assert "通報の種類を選んでください" in _last(line)["text"]
    app.extensions["madoguchi"].processor.deliver_outbox()
    statuses = [r.status for r in _reports(session_factory)]
    assert statuses == [ReportStatus.EXPIRED, ReportStatus.DRAFT]


def test_a_location_outside_the_city_is_refused_politely_with_the_phone_number(webhook, line,
                                                                               session_factory) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    webhook.send(image_event())
    _tap(webhook, line, "次へ")
    webhook.send(location_event(OUTSIDE_CITY, address="東京都千代田区丸の内1丁目"))
    assert "みなと市の外" in _last(line)["text"] and "000-100-1000" in _last(line)["text"]
    assert _reports(session_factory)[0].latitude is None
    webhook.send(location_event(FAR_IN_CITY))
    assert "危険がありますか" in _last(line)["text"]


def test_a_video_instead_of_a_photo_is_refused_and_the_question_repeated(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    webhook.send(video_event())
    texts = _texts_of_last_call(line)
    assert "動画は受け付けていません" in texts[0] and "写真を送ってください" in texts[1]
    webhook.send(sticker_event())
    assert "写真を送ってください" in _last(line)["text"]
    assert _reports(session_factory)[0].photos == []


def test_next_without_a_photo_asks_for_one(webhook, line) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    webhook.send(text_event("次へ"))
    assert "写真が1枚もありません" in line.calls[-1].messages[0]["text"]


def test_the_fourth_photo_moves_on_to_the_location(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "不法投棄")
    for _ in range(4):
        webhook.send(image_event())
    assert "場所を教えてください" in _last(line)["text"]
    webhook.send(image_event())
    assert "位置情報を送るか" in line.calls[-1].messages[0]["text"]
    assert len(_reports(session_factory)[0].photos) == 4


def test_a_redelivered_photo_is_added_once(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    webhook.send(image_event(message_id="same-photo"))
    webhook.send(image_event(message_id="same-photo"))  # a new event id, the same LINE message
    assert len(_reports(session_factory)[0].photos) == 1


def test_tapping_send_twice_gives_one_report_and_says_so(webhook, line, session_factory) -> None:
    _walk_to_confirm(webhook, line)
    submit = next(i["action"]["data"] for i in _last(line)["quickReply"]["items"] if i["action"]["label"] == "送信する")
    webhook.send(postback_event(submit))
    receipt = RECEIPT.search(_last(line)["text"]).group(1)
    webhook.send(postback_event(submit))
    assert f"すでに受け付けています（受付番号：{receipt}）" in _last(line)["text"]
    assert [r.receipt_number for r in _reports(session_factory)] == [receipt]


def test_someone_else_cannot_submit_my_draft(webhook, line, session_factory) -> None:
    _walk_to_confirm(webhook, line)
    submit = next(i["action"]["data"] for i in _last(line)["quickReply"]["items"] if i["action"]["label"] == "送信する")
    webhook.send(postback_event(submit, user_id=OTHER_USER))
    assert "見つかりませんでした" in _last(line)["text"]
    assert _reports(session_factory)[0].status is ReportStatus.DRAFT


def test_a_second_report_of_the_same_spot_is_linked_as_a_duplicate(webhook, line, session_factory) -> None:
    _walk_to_confirm(webhook, line, point=CITY_HALL)
    _tap(webhook, line, "送信する")
    _walk_to_confirm(webhook, line, point=NEAR_CITY_HALL, user=OTHER_USER)
    _tap(webhook, line, "送信する", user_id=OTHER_USER)
    assert "すでに通報をいただいています" in _last(line)["text"]
    first, second = _reports(session_factory)
    assert second.status is ReportStatus.DUPLICATE and second.duplicate_of_id == first.id


def test_the_same_spot_in_another_category_is_not_a_duplicate(webhook, line, session_factory) -> None:
    _walk_to_confirm(webhook, line, point=CITY_HALL)
    _tap(webhook, line, "送信する")
    _walk_to_confirm(webhook, line, point=NEAR_CITY_HALL, category="街路灯", user=OTHER_USER)
    _tap(webhook, line, "送信する", user_id=OTHER_USER)
    assert [r.status for r in _reports(session_factory)] == [ReportStatus.RECEIVED, ReportStatus.RECEIVED]


def test_photos_are_fetched_after_the_reply_and_stored_without_exif(webhook, line, session_factory, app,
                                                                   settings) -> None:
    line.contents["photo-exif"] = jpeg_with_gps()
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    webhook.send(image_event(message_id="photo-exif"))
    app.extensions["madoguchi"].processor.deliver_outbox()
    [photo] = _reports(session_factory)[0].photos
    assert photo.status is PhotoStatus.STORED
    with Image.open(Path(settings.media_dir) / photo.storage_key) as stored:
        assert stored.format == "JPEG" and max(stored.size) == 2048 and not stored.getexif()


def test_an_image_that_is_not_an_image_is_rejected_and_the_citizen_told(webhook, line, session_factory,
                                                                       app) -> None:
    line.contents["fake"] = b"%PDF-1.4 not a photo at all"
    line.contents["real"] = png_with_alpha()
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    webhook.send(image_event(message_id="fake"))
    webhook.send(image_event(message_id="real"))
    app.extensions["madoguchi"].processor.deliver_outbox()
    push = line.calls[-1]
    assert push.kind == "push" and push.to == (USER,) and push.retry_key
    assert "1枚目の画像を写真として読み取れませんでした" in push.messages[0]["text"]
    statuses = [p.status for p in _reports(session_factory)[0].photos]
    assert statuses == [PhotoStatus.REJECTED, PhotoStatus.STORED]


def test_a_30_mb_photo_is_refused_for_its_size(webhook, line, session_factory, app) -> None:
    line.contents["huge"] = b"\xff\xd8\xff\xe0" + b"\0" * (30 * 1024 * 1024)
    webhook.send(postback_event("action=report"))
    _tap(webhook, line, "道路の穴・段差")
    webhook.send(image_event(message_id="huge"))
    app.extensions["madoguchi"].processor.deliver_outbox()
    assert "サイズが大きすぎる" in line.calls[-1].messages[0]["text"]
    assert _reports(session_factory)[0].photos[0].last_error == "too_large"


def test_a_failed_download_is_retried_and_never_loses_the_report(webhook, line, session_factory, app,
                                                                clock) -> None:
    _walk_to_confirm(webhook, line)  # its photo is not at LINE's fake yet: the download fails
    _tap(webhook, line, "送信する")
    processor = app.extensions["madoguchi"].processor
    line.contents.clear()
    processor.deliver_outbox()
    with session_factory() as session:
        photo = session.scalars(select(ReportPhoto)).one()
        assert photo.status is PhotoStatus.FAILED  # LINE said 404: nothing to retry
        assert session.get(Report, photo.report_id).status is ReportStatus.RECEIVED


def test_typing_tsuuhou_suru_starts_a_report_like_the_menu_button(webhook, line) -> None:
    webhook.send(text_event("通報する"))
    assert "通報の種類を選んでください" in _last(line)["text"]
