"""Inquiry services on a real database: receipt numbers, statuses, and replies delivered once."""
from __future__ import annotations

import pytest

from core.line_gateway import LineApiError, RecordingLineGateway
from inquiries.models import InquiryStatus
from inquiries.services import (
    InquiryError,
    add_citizen_message,
    assign,
    close,
    deliver_staff_replies,
    latest_open_inquiry,
    open_inquiry,
    reply_as_staff,
)
from tests.conftest import FIXED_NOW
from tests.webhook_events import USER


def _build(inquiry, message) -> list[dict]:
    return [{"type": "text", "text": message.text}]


def test_receipt_numbers_are_unique_and_readable(session_factory) -> None:
    with session_factory.begin() as session:
        numbers = {open_inquiry(session, channel="line", text=f"質問{n}", now=FIXED_NOW, line_user_id=USER).receipt_number
                   for n in range(50)}
    assert len(numbers) == 50
    assert all(number.startswith("0401-") and len(number) == 9 for number in numbers)


def test_an_inquiry_moves_through_its_statuses(session_factory) -> None:
    with session_factory.begin() as session:
        inquiry = open_inquiry(session, channel="line", text="ベンチが壊れています", now=FIXED_NOW, line_user_id=USER)
        assign(session, inquiry.id, department="公園緑地課", staff_name="佐藤", now=FIXED_NOW)
        assert inquiry.status is InquiryStatus.ASSIGNED
        reply_as_staff(session, inquiry.id, "修理します", staff_name="佐藤", now=FIXED_NOW)
        assert inquiry.status is InquiryStatus.ANSWERED
        add_citizen_message(session, inquiry, "ありがとうございます", now=FIXED_NOW)
        assert inquiry.status is InquiryStatus.ASSIGNED
        close(session, inquiry.id, now=FIXED_NOW)
        assert latest_open_inquiry(session, line_user_id=USER) is None
        with pytest.raises(InquiryError):
            add_citizen_message(session, inquiry, "まだあります", now=FIXED_NOW)


def test_an_empty_message_is_refused(session_factory) -> None:
    with session_factory.begin() as session, pytest.raises(InquiryError):
        open_inquiry(session, channel="line", text="   ", now=FIXED_NOW, line_user_id=USER)


class FlakyLine(RecordingLineGateway):
    """LINE failing with a given status for the next pushes."""

    def __init__(self, statuses: list[int]) -> None:
        super().__init__()
        self.statuses = statuses

    def push(self, to, messages, *, retry_key):  # type: ignore[no-untyped-def]
        if self.statuses:
            raise LineApiError(self.statuses.pop(0), "fault")
        super().push(to, messages, retry_key=retry_key)


def test_a_reply_that_meets_a_line_outage_is_delivered_on_the_next_run(session_factory) -> None:
    with session_factory.begin() as session:
        inquiry = open_inquiry(session, channel="line", text="質問", now=FIXED_NOW, line_user_id=USER)
        reply_as_staff(session, inquiry.id, "回答です", staff_name="佐藤", now=FIXED_NOW)
    line = FlakyLine([500])
    with session_factory.begin() as session:
        assert deliver_staff_replies(session, line, _build, now=FIXED_NOW) == 0
    with session_factory.begin() as session:
        assert deliver_staff_replies(session, line, _build, now=FIXED_NOW) == 1
    with session_factory.begin() as session:
        assert deliver_staff_replies(session, line, _build, now=FIXED_NOW) == 0
    assert line.texts() == ["回答です"]


def test_a_reply_to_a_citizen_who_blocked_us_is_recorded_not_retried_forever(session_factory) -> None:
    with session_factory.begin() as session:
        inquiry = open_inquiry(session, channel="line", text="質問", now=FIXED_NOW, line_user_id=USER)
        message = reply_as_staff(session, inquiry.id, "回答です", staff_name="佐藤", now=FIXED_NOW)
    with session_factory.begin() as session:
        assert deliver_staff_replies(session, FlakyLine([400]), _build, now=FIXED_NOW) == 0
    with session_factory() as session:
        from inquiries.models import InquiryMessage

        assert session.get(InquiryMessage, message.id).push_error == "LINE 400"
