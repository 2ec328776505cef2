"""Claiming webhook events: each citizen's events strictly in order, however many workers claim."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.inbox import claim_due, mark_done, store_events
from core.models import InboxEvent
from tests.conftest import FIXED_NOW
from tests.webhook_events import OTHER_USER, USER, text_event


def _store(session_factory: sessionmaker, *events: dict) -> list[int]:
    with session_factory.begin() as session:
        return store_events(session, events, now=FIXED_NOW)


def _claimed_texts(rows: list[InboxEvent]) -> list[str]:
    return [row.payload["message"]["text"] for row in rows]


def _finish(session_factory: sessionmaker, rows: list[InboxEvent]) -> None:
    with session_factory.begin() as session:
        for row in rows:
            mark_done(session.get(InboxEvent, row.id), now=FIXED_NOW)


def test_a_batch_takes_one_event_per_citizen_and_the_next_once_it_is_done(session_factory: sessionmaker) -> None:
    _store(session_factory, text_event("写真を送ります"), text_event("場所はここです"),
           text_event("ごみの日は？", user_id=OTHER_USER))
    with session_factory.begin() as session:
        first = claim_due(session, now=FIXED_NOW, limit=10)
        assert _claimed_texts(first) == ["写真を送ります", "ごみの日は？"]
    _finish(session_factory, first)
    with session_factory.begin() as session:
        assert _claimed_texts(claim_due(session, now=FIXED_NOW, limit=10)) == ["場所はここです"]


def test_an_event_waiting_for_its_retry_does_not_hold_back_the_citizens_later_ones(
        session_factory: sessionmaker) -> None:
    failed, later = _store(session_factory, text_event("失敗した質問"), text_event("次の質問"))
    with session_factory.begin() as session:
        session.get(InboxEvent, failed).next_attempt_at = FIXED_NOW + timedelta(seconds=10)
    with session_factory.begin() as session:
        assert [row.id for row in claim_due(session, now=FIXED_NOW, limit=10)] == [later]
    with session_factory.begin() as session:
        # once due again it is the oldest pending one and goes first
        again = claim_due(session, now=FIXED_NOW + timedelta(seconds=11), limit=10)
        assert [row.id for row in again] == [failed]


def test_while_one_worker_holds_a_citizens_event_another_worker_skips_that_citizen(
        session_factory: sessionmaker, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two workers at once need row locks (SKIP LOCKED): SQLite has one writer at a time")
    _store(session_factory, text_event("写真を送ります"), text_event("ごみの日は？", user_id=OTHER_USER),
           text_event("場所はここです"))
    with session_factory.begin() as first_worker:
        held = claim_due(first_worker, now=FIXED_NOW, limit=1)
        assert _claimed_texts(held) == ["写真を送ります"]
        with session_factory.begin() as second_worker:
            # not the held event (locked), not the citizen's next one (it must wait), the other citizen's
            assert _claimed_texts(claim_due(second_worker, now=FIXED_NOW, limit=10)) == ["ごみの日は？"]
        for row in held:
            mark_done(row, now=FIXED_NOW)
    with session_factory.begin() as second_worker:  # the first worker has committed: the citizen goes on
        assert "場所はここです" in _claimed_texts(claim_due(second_worker, now=FIXED_NOW, limit=10))


def test_events_without_a_citizen_are_never_held_back(session_factory: sessionmaker) -> None:
    first, second = (text_event("a"), text_event("b"))
    for event in (first, second):
        event["source"] = {"type": "user"}  # LINE omits userId for users who have not agreed to share it
    _store(session_factory, first, second)
    with session_factory.begin() as session:
        assert len(claim_due(session, now=FIXED_NOW, limit=10)) == 2
        assert session.scalar(select(InboxEvent.line_user_id)) is None
