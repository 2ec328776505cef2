"""The scheduler: jobs in the database, a missed job runs when the scheduler comes back, one scheduler per database."""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import sessionmaker

from bot.scheduler import JOB_PREFIX, JOB_TABLE, BroadcastScheduler, SchedulerLock
from broadcast.compose import text_message
from broadcast.models import Broadcast, BroadcastStatus
from broadcast.segments import Segment
from broadcast.services import cancel, compose_broadcast, schedule
from core.db import utcnow
from tests.broadcast.conftest import add_followers


@pytest.fixture
def engine(db: sessionmaker) -> Iterator[Engine]:
    engine = db.kw["bind"]
    if inspect(engine).has_table(JOB_TABLE):  # PostgreSQL keeps the job table between tests
        with engine.begin() as connection:
            connection.execute(text(f"DELETE FROM {JOB_TABLE}"))
    yield engine


def _scheduled(db: sessionmaker, *, at_offset: timedelta, repeat: str | None = None) -> int:
    now = utcnow()
    with db.begin() as session:
        add_followers(session, 3)
        broadcast = compose_broadcast(session, title="定期便", messages=[text_message("今月のごみ収集日です")],
                                      segment=Segment(), now=now)
        schedule(session, broadcast.id, at=now + at_offset, repeat=repeat, now=now)
        return broadcast.id


def _wait_for(condition, seconds: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _status(db: sessionmaker, broadcast_id: int) -> BroadcastStatus:
    with db() as session:
        return session.get(Broadcast, broadcast_id).status


def test_a_job_missed_while_the_scheduler_was_down_runs_when_it_comes_back(db: sessionmaker, engine: Engine) -> None:
    broadcast_id = _scheduled(db, at_offset=timedelta(seconds=2))
    first = BroadcastScheduler(db, engine, sync_seconds=3600)
    first.start()
    [job] = first.scheduler.get_jobs(jobstore="default")
    first.shutdown()  # the scheduler goes down with the job stored in the database, not yet due
    assert job.id == f"{JOB_PREFIX}{broadcast_id}" and first.fired == []
    time.sleep(max(0.0, (job.next_run_time - utcnow()).total_seconds()) + 0.5)  # its time passes while down
    assert _status(db, broadcast_id) == BroadcastStatus.SCHEDULED
    second = BroadcastScheduler(db, engine, sync_seconds=3600)
    second.start()
    try:
        assert _wait_for(lambda: _status(db, broadcast_id) == BroadcastStatus.SENDING)
        assert second.fired == [broadcast_id]
    finally:
        second.shutdown()


def test_the_scheduler_mirrors_the_broadcasts_table_and_drops_cancelled_jobs(db: sessionmaker, engine: Engine) -> None:
    broadcast_id = _scheduled(db, at_offset=timedelta(hours=1), repeat="first-monday@09:00")
    scheduler = BroadcastScheduler(db, engine, sync_seconds=3600)
    scheduler.start()
    try:
        [job] = scheduler.scheduler.get_jobs(jobstore="default")
        assert "day='1st mon'" in str(job.trigger)
        with db.begin() as session:
            cancel(session, broadcast_id)
        scheduler.sync()
        assert scheduler.scheduler.get_jobs(jobstore="default") == []
    finally:
        scheduler.shutdown()


def test_only_one_scheduler_holds_a_database(db: sessionmaker, engine: Engine) -> None:
    first, second = SchedulerLock(engine), SchedulerLock(engine)
    assert first.acquire()
    try:
        assert not second.acquire()
    finally:
        first.release()
    assert second.acquire()
    second.release()
