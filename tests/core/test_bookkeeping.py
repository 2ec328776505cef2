"""A batch's bookkeeping — message log, inbox status, last message time — is written in one go."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.bookkeeping import Bookkeeping
from core.inbox import claim_due, store_events
from core.models import Direction, InboxEvent, InboxStatus, LineUser, MessageLog
from tests.conftest import FIXED_NOW
from tests.webhook_events import USER, group_text_event, text_event

LATER = FIXED_NOW + timedelta(seconds=3)


def _store_two_events_and_their_citizen(session_factory: sessionmaker) -> None:
    with session_factory.begin() as session:
        store_events(session, [text_event("ごみの日は？"), group_text_event("こんにちは")], now=FIXED_NOW)
        session.add(LineUser(line_user_id=USER, first_seen_at=FIXED_NOW))


def test_what_a_batch_collected_is_written_together_in_the_order_it_was_logged(session_factory) -> None:
    _store_two_events_and_their_citizen(session_factory)
    with session_factory.begin() as session:
        question, group_message = claim_due(session, now=FIXED_NOW, limit=10)
        citizen = session.scalars(select(LineUser)).one()
        books = Bookkeeping()
        books.heard_from(citizen)
        books.log_message(line_user_id=USER, direction=Direction.INCOMING, message_type="text", text="ごみの日は？",
                          inbox_event_id=question.id, at=FIXED_NOW)
        books.log_message(line_user_id=USER, direction=Direction.OUTGOING, message_type="text", text="月曜日です",
                          inbox_event_id=question.id, at=FIXED_NOW)
        books.finish(question.id)
        books.finish(group_message.id, InboxStatus.IGNORED)
        books.write(session, now=LATER)
        books.write(session, now=LATER)  # nothing left to write: no second copy
    with session_factory() as session:
        log = session.scalars(select(MessageLog).order_by(MessageLog.id)).all()
        inbox = session.scalars(select(InboxEvent).order_by(InboxEvent.id)).all()
        citizen = session.scalars(select(LineUser)).one()
    assert [(m.direction, m.text, m.inbox_event_id) for m in log] == [
        (Direction.INCOMING, "ごみの日は？", question.id), (Direction.OUTGOING, "月曜日です", question.id)]
    assert [(e.status, e.attempts, e.processed_at, e.error) for e in inbox] == [
        (InboxStatus.DONE, 1, LATER, None), (InboxStatus.IGNORED, 1, LATER, None)]
    assert citizen.last_message_at == LATER


def test_a_batch_rolled_back_leaves_no_bookkeeping(session_factory) -> None:
    _store_two_events_and_their_citizen(session_factory)
    session = session_factory()
    with session.begin():
        question, _ = claim_due(session, now=FIXED_NOW, limit=10)
        books = Bookkeeping()
        books.log_message(line_user_id=USER, direction=Direction.INCOMING, message_type="text", text="ごみの日は？",
                          inbox_event_id=question.id, at=FIXED_NOW)
        books.finish(question.id)
        books.write(session, now=LATER)
        session.rollback()
    session.close()
    with session_factory() as session:
        assert session.scalars(select(MessageLog)).all() == []
        assert {e.status for e in session.scalars(select(InboxEvent))} == {InboxStatus.PENDING}


def test_a_handlers_pending_change_to_the_citizen_is_written_with_the_bookkeeping(session_factory) -> None:
    # The bookkeeping goes out on the connection: what the handlers left pending in the ORM must land too.
    _store_two_events_and_their_citizen(session_factory)
    with session_factory.begin() as session:
        question, _ = claim_due(session, now=FIXED_NOW, limit=10)
        citizen = session.scalars(select(LineUser)).one()
        citizen.followed_at, citizen.language = FIXED_NOW, "ja"  # as on_follow and the profile do
        books = Bookkeeping()
        books.heard_from(citizen)
        books.finish(question.id)
        books.write(session, now=LATER)
    with session_factory() as session:
        citizen = session.scalars(select(LineUser)).one()
        statuses = [e.status for e in session.scalars(select(InboxEvent).order_by(InboxEvent.id))]
    assert (citizen.followed_at, citizen.language, citizen.last_message_at) == (FIXED_NOW, "ja", LATER)
    assert statuses == [InboxStatus.DONE, InboxStatus.PENDING]
