"""Inquiries over LINE: from an unanswered question to a staff reply pushed back, and the ways out."""
from __future__ import annotations

import re

from sqlalchemy import select

from inquiries.models import Inquiry, InquiryStatus
from inquiries.services import reply_as_staff
from tests.conftest import FIXED_NOW
from tests.webhook_events import OTHER_USER, USER, postback_event, text_event

UNANSWERABLE = "宇宙ステーションへの行き方を教えてください"


def _last(line) -> dict:
    return line.calls[-1].messages[-1]


def _action_data(message: dict, label: str) -> str:
    return next(item["action"]["data"] for item in message["quickReply"]["items"] if item["action"]["label"] == label)


def _inquiries(session_factory) -> list[Inquiry]:
    with session_factory() as session:
        return list(session.scalars(select(Inquiry).order_by(Inquiry.id)))


def _receipt(text: str) -> str:
    return re.search(r"受付番号：(\d{4}-\d{4})", text).group(1)


def test_an_unanswered_question_can_go_to_staff_with_a_receipt_number(webhook, line, session_factory) -> None:
    webhook.send(text_event(UNANSWERABLE))
    webhook.send(postback_event(_action_data(_last(line), "職員に問い合わせる")))
    receipt = _receipt(_last(line)["text"])
    [inquiry] = _inquiries(session_factory)
    assert inquiry.receipt_number == receipt and inquiry.status is InquiryStatus.NEW
    assert [m.text for m in inquiry.messages] == [UNANSWERABLE]
    assert inquiry.question_log_id is not None


def test_follow_up_messages_join_the_open_inquiry_until_the_citizen_is_done(webhook, line, session_factory) -> None:
    webhook.send(text_event(UNANSWERABLE))
    webhook.send(postback_event(_action_data(_last(line), "職員に問い合わせる")))
    webhook.send(text_event("補足：来月の予定です"))
    assert "担当の職員にお伝えしました" in _last(line)["text"]
    webhook.send(postback_event(_action_data(_last(line), "入力を終える")))
    webhook.send(text_event("粗大ごみはどのように出せばよいですか"))
    assert "粗大ごみは事前申込制です" in line.calls[-1].messages[0]["text"]
    [inquiry] = _inquiries(session_factory)
    assert [m.text for m in inquiry.messages] == [UNANSWERABLE, "補足：来月の予定です"]


def test_from_the_menu_the_next_message_becomes_the_inquiry(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=inquiry"))
    assert "お問い合わせ内容を送ってください" in _last(line)["text"]
    webhook.send(text_event("道路の白線が消えかけています"))
    assert "受付番号" in _last(line)["text"]
    assert [m.text for m in _inquiries(session_factory)[0].messages] == ["道路の白線が消えかけています"]


def test_cancelling_before_writing_opens_nothing(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=inquiry"))
    webhook.send(postback_event("action=cancel"))
    webhook.send(text_event("粗大ごみはどのように出せばよいですか"))
    assert _inquiries(session_factory) == []
    assert "粗大ごみは事前申込制です" in line.calls[-1].messages[0]["text"]


def test_a_citizen_who_walks_away_is_not_trapped_in_the_inquiry(webhook, line, session_factory, clock) -> None:
    webhook.send(postback_event("action=inquiry"))
    clock.advance(31 * 60)
    webhook.send(text_event("粗大ごみはどのように出せばよいですか"))
    assert _inquiries(session_factory) == []
    assert "粗大ごみは事前申込制です" in line.calls[-1].messages[0]["text"]


def test_a_staff_reply_is_pushed_and_the_citizen_can_answer_it(webhook, line, session_factory, app) -> None:
    webhook.send(postback_event("action=inquiry"))
    webhook.send(text_event("公園のベンチが壊れています"))
    [inquiry] = _inquiries(session_factory)
    with session_factory.begin() as session:
        reply_as_staff(session, inquiry.id, "ご連絡ありがとうございます。明日修理に伺います。", staff_name="公園緑地課 佐藤",
                       now=FIXED_NOW)
    assert app.extensions["madoguchi"].processor.deliver_outbox() == 1
    push = line.calls[-1]
    assert push.kind == "push" and push.to == (USER,) and push.retry_key
    assert "明日修理に伺います" in push.messages[-1]["text"] and inquiry.receipt_number in push.messages[-1]["text"]
    assert app.extensions["madoguchi"].processor.deliver_outbox() == 0  # delivered once
    webhook.send(postback_event(_action_data(push.messages[-1], "返信する")))
    webhook.send(text_event("よろしくお願いします"))
    with session_factory() as session:
        again = session.get(Inquiry, inquiry.id)
        assert [m.author for m in again.messages] == ["citizen", "staff", "citizen"]
        assert again.status is InquiryStatus.ASSIGNED  # back on the list of the staff member who answered


def test_the_citizen_can_close_an_answered_inquiry(webhook, line, session_factory, app) -> None:
    webhook.send(postback_event("action=inquiry"))
    webhook.send(text_event("公園のベンチが壊れています"))
    [inquiry] = _inquiries(session_factory)
    with session_factory.begin() as session:
        reply_as_staff(session, inquiry.id, "修理しました。", staff_name="佐藤", now=FIXED_NOW)
    app.extensions["madoguchi"].processor.deliver_outbox()
    webhook.send(postback_event(_action_data(line.calls[-1].messages[-1], "解決した")))
    assert "終了しました" in _last(line)["text"]
    assert _inquiries(session_factory)[0].status is InquiryStatus.CLOSED


def test_someone_else_cannot_reply_to_or_close_my_inquiry(webhook, line, session_factory) -> None:
    webhook.send(postback_event("action=inquiry"))
    webhook.send(text_event("公園のベンチが壊れています"))
    inquiry_id = _inquiries(session_factory)[0].id
    for action in ("inquiry_reply", "inquiry_close"):
        webhook.send(postback_event(f"action={action}&i={inquiry_id}", user_id=OTHER_USER))
        assert "このお問い合わせは終了しています" in _last(line)["text"]
    assert _inquiries(session_factory)[0].status is InquiryStatus.NEW


def test_asking_staff_about_someone_elses_question_starts_a_fresh_inquiry(webhook, line, session_factory) -> None:
    webhook.send(text_event(UNANSWERABLE))
    data = _action_data(_last(line), "職員に問い合わせる")
    webhook.send(postback_event(data, user_id=OTHER_USER))
    assert "お問い合わせ内容を送ってください" in _last(line)["text"]
    assert _inquiries(session_factory) == []


def test_a_message_right_behind_the_menu_tap_in_the_same_batch_becomes_the_inquiry(
        webhook, line, session_factory) -> None:
    # Both events reach the worker together (one webhook body, one batch): the second must see the
    # conversation the first one started, not the "no conversation" the batch read beforehand.
    webhook.send(postback_event("action=inquiry"), text_event("道路の白線が消えかけています"))
    assert "受付番号" in _last(line)["text"]
    assert [m.text for m in _inquiries(session_factory)[0].messages] == ["道路の白線が消えかけています"]
