"""Claiming webhook events: each citizen's events strictly in order, however many workers claim."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.bookkeeping import Bookkeeping
from core.inbox import claim_due, move_loading_mark, queued_after, store_events, take_loading_mark
from core.models import InboxEvent, InboxStatus
from tests.conftest import FIXED_NOW
from tests.webhook_events import OTHER_USER, USER, follow_event, group_text_event, text_event


def _store(session_factory: sessionmaker, *events: dict) -> list[int]:
    with session_factory.begin() as session:
        return store_events(session, events, now=FIXED_NOW)


def _claimed_texts(rows: list[InboxEvent]) -> list[str]:
    return [row.payload["message"]["text"] for row in rows]


def test_one_worker_takes_a_citizens_events_together_in_order(session_factory: sessionmaker) -> None:
    _store(session_factory, text_event("写真を送ります"), text_event("ごみの日は？", user_id=OTHER_USER),
           text_event("場所はここです"))
    with session_factory.begin() as session:
        assert _claimed_texts(claim_due(session, now=FIXED_NOW, limit=10)) == [
            "写真を送ります", "ごみの日は？", "場所はここです"]


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
        assert [row.id for row in again] == [failed, later]


def test_while_one_worker_holds_a_citizens_event_another_worker_skips_that_citizen(
        session_factory: sessionmaker, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two workers at once need row locks (SKIP LOCKED): SQLite has one writer at a time")
    _store(session_factory, text_event("写真を送ります"), text_event("ごみの日は？", user_id=OTHER_USER),
           text_event("場所はここです"))
    with session_factory.begin() as first_worker:
        held = claim_due(first_worker, now=FIXED_NOW, limit=1)  # a worker busy with the first event
        assert _claimed_texts(held) == ["写真を送ります"]
        with session_factory.begin() as second_worker:
            # not the held event (locked), not the citizen's next one (it must wait), the other citizen's
            assert _claimed_texts(claim_due(second_worker, now=FIXED_NOW, limit=10)) == ["ごみの日は？"]
        books = Bookkeeping()
        for row in held:
            books.finish(row.id)
        books.write(first_worker, now=FIXED_NOW)
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


def test_a_claim_looks_past_the_events_other_workers_hold(session_factory: sessionmaker, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two workers at once need row locks (SKIP LOCKED): SQLite has one writer at a time")
    citizens = [f"U{n:032x}" for n in range(12)]
    ids = _store(session_factory, *(text_event(f"質問{n}", user_id=citizen) for n, citizen in enumerate(citizens)))
    with session_factory.begin() as first_worker:
        assert [row.id for row in claim_due(first_worker, now=FIXED_NOW, limit=8)] == ids[:8]
        with session_factory.begin() as second_worker:
            # its first stretch (the 4 oldest ids) is all held: it looks further instead of idling
            assert [row.id for row in claim_due(second_worker, now=FIXED_NOW, limit=1)] == [ids[8]]


def test_the_loading_lookup_sees_every_pending_event_in_the_next_stretch_of_ids_and_marks_citizens_messages(
        session_factory: sessionmaker) -> None:
    ids = _store(session_factory, text_event("いま答えています"), text_event("ごみの日は？", user_id=OTHER_USER),
                 group_text_event("こんにちは"), follow_event(), text_event("住民票は？"), text_event("まだ先です"))
    with session_factory.begin() as session:
        session.get(InboxEvent, ids[3]).status = InboxStatus.DONE  # answered already: not queued
    with session_factory() as session:
        queued = queued_after(session, after_id=ids[0], stretch=4)
    # the group's message comes back too (the caller learns how far it looked), not as a citizen's chat
    assert [(event.id, event.from_citizen_chat) for event in queued] == [(ids[1], True), (ids[2], False), (ids[4], True)]
    assert [event.line_user_id for event in queued if event.from_citizen_chat] == [OTHER_USER, USER]


def test_one_worker_at_a_time_holds_the_loading_mark_and_the_next_one_sees_where_it_left_it(
        session_factory: sessionmaker, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two workers at once need row locks (SKIP LOCKED): SQLite has one writer at a time")
    with session_factory.begin() as first_look:
        assert take_loading_mark(first_look) == 0  # created by the first look
    with session_factory.begin() as first_worker:
        assert take_loading_mark(first_worker) == 0
        with session_factory.begin() as second_worker:
            assert take_loading_mark(second_worker) is None  # the first one is looking: skip this turn
        move_loading_mark(first_worker, 42)
    with session_factory.begin() as second_worker:
        assert take_loading_mark(second_worker) == 42
