"""The broadcast scheduler: APScheduler with its job store in our database, exactly one running.

The broadcasts table is the truth (staff schedule and cancel there, from any process); every
`sync_seconds` the scheduler mirrors it into APScheduler jobs, which live in the database too. A job
whose time passed while no scheduler ran fires as soon as one starts again (misfire_grace_time=None,
coalesced into one run). "Exactly one" is a PostgreSQL advisory lock, or a file lock next to a
SQLite database; a second `madoguchi scheduler` waits on standby and takes over when the first dies.
"""
from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from broadcast.models import Broadcast, BroadcastStatus
from broadcast.recurrence import cron_fields
from broadcast.services import fire_scheduled
from core.db import utcnow

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
JOB_PREFIX = "broadcast-"
ADVISORY_LOCK_KEY = 0x6D61646F  # "mado": one scheduler per database
STANDBY_SECONDS = 5.0

# The running scheduler of this process: jobs in the database store are looked up by name
# (bot.scheduler:fire_broadcast), so the function finds its session factory here.
_active: BroadcastScheduler | None = None


def fire_broadcast(broadcast_id: int) -> None:
    """APScheduler's job: queue and plan one scheduled broadcast (the delivery workers send it)."""
    if _active is None:
        raise RuntimeError("no broadcast scheduler is running in this process")
    _active.fire(broadcast_id)


class BroadcastScheduler:
    """APScheduler, its database job store, and the sync that mirrors the broadcasts table into it."""

    def __init__(self, session_factory: sessionmaker, engine: Engine, *, timezone: str = "Asia/Tokyo",
                 sync_seconds: float = 10.0, clock: Callable[[], datetime] = utcnow) -> None:
        self.session_factory, self.clock, self.timezone, self.sync_seconds = session_factory, clock, timezone, sync_seconds
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE), "local": MemoryJobStore()},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1}, timezone=timezone)
        self.fired: list[int] = []

    def start(self) -> None:
        """Start paused, mirror the broadcasts table (dropping stale jobs), then run what is due."""
        global _active
        _active = self
        self.scheduler.start(paused=True)
        self.sync()
        self.scheduler.add_job(self.sync, "interval", seconds=self.sync_seconds, jobstore="local", id="sync")
        # Personal data past its retention period goes every night, at a quiet hour.
        self.scheduler.add_job(self.purge, "cron", hour=3, minute=30, jobstore="local", id="privacy-purge")
        self.scheduler.resume()

    def shutdown(self) -> None:
        """Stop (waiting for a running job)."""
        global _active
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if _active is self:
            _active = None

    def fire(self, broadcast_id: int) -> None:
        """Run one broadcast's job now (its own transaction)."""
        with self.session_factory.begin() as session:
            fired = fire_scheduled(session, broadcast_id, now=self.clock())
        if fired is not None:
            self.fired.append(broadcast_id)
            log.info("scheduled broadcast %s fired: %s chunks", broadcast_id, fired.chunks)

    def purge(self) -> None:
        """Delete what the retention policy no longer allows to keep (counts only are logged)."""
        from bot.privacy import RetentionPolicy, media_storage_from_env, purge_expired

        env = dict(os.environ)
        with self.session_factory.begin() as session:
            counts = purge_expired(session, RetentionPolicy.from_env(env), media_storage_from_env(env),
                                   now=self.clock())
        log.info("retention purge: %s", counts)

    def sync(self) -> None:
        """Add a job for each scheduled broadcast, replace changed ones, remove those no longer scheduled."""
        with self.session_factory() as session:
            wanted = {f"{JOB_PREFIX}{b.id}": b for b in session.scalars(
                select(Broadcast).where(Broadcast.status == BroadcastStatus.SCHEDULED))}
        existing = {job.id: job for job in self.scheduler.get_jobs(jobstore="default")}
        for job_id, job in existing.items():
            if job_id not in wanted or job.name != _signature(wanted[job_id]):
                self.scheduler.remove_job(job_id, jobstore="default")
        for job_id, broadcast in wanted.items():
            if job_id not in existing or existing[job_id].name != _signature(broadcast):
                self.scheduler.add_job(fire_broadcast, self._trigger(broadcast), args=[broadcast.id], id=job_id,
                                       name=_signature(broadcast), jobstore="default", replace_existing=True)

    def _trigger(self, broadcast: Broadcast) -> Any:
        if broadcast.repeat:
            return CronTrigger(**cron_fields(broadcast.repeat), start_date=broadcast.send_at, timezone=self.timezone)
        return DateTrigger(run_date=broadcast.send_at, timezone=self.timezone)


def _signature(broadcast: Broadcast) -> str:
    send_at = broadcast.send_at.isoformat() if broadcast.send_at else ""
    return f"{send_at}|{broadcast.repeat or ''}"


class SchedulerLock:
    """Held by the one scheduler of a database: an advisory lock (PostgreSQL) or a file lock (SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._file: Any = None

    def acquire(self) -> bool:
        """Try once; True when this process is now the scheduler."""
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar():
                connection.commit()
                self._connection = connection  # the lock lives as long as this connection
                return True
            connection.close()
            return False
        database = make_url(str(self.engine.url)).database
        path = Path(database + ".scheduler.lock") if database and database != ":memory:" else None
        if path is None:
            return True
        handle = path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        """Let another scheduler take over."""
        if self._connection is not None:
            # The pool would keep the connection (and a session-level lock with it): unlock first.
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
            self._connection.commit()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None


def run_scheduler(session_factory: sessionmaker, engine: Engine, *, timezone: str,
                  stop: threading.Event | None = None) -> int:
    """`madoguchi scheduler`: wait to be the one scheduler, run until SIGTERM/Ctrl-C."""
    stop = stop or _stop_on_signals()
    lock = SchedulerLock(engine)
    while not lock.acquire():
        log.info("another scheduler is running on this database; standing by")
        if stop.wait(STANDBY_SECONDS):
            return 0
    scheduler = BroadcastScheduler(session_factory, engine, timezone=timezone)
    scheduler.start()
    log.info("broadcast scheduler running")
    try:
        while not stop.wait(0.5):
            pass
    finally:
        scheduler.shutdown()
        lock.release()
    return 0


def start_for_app(app: Any) -> BroadcastScheduler | None:
    """Start the scheduler inside a Madoguchi app's process (the demo), if no other scheduler holds the lock."""
    runtime = app.extensions["madoguchi"]
    lock = SchedulerLock(runtime.engine)
    if not lock.acquire():
        log.info("another scheduler is running on this database; the demo does not start one")
        return None
    scheduler = BroadcastScheduler(runtime.session_factory, runtime.engine, timezone=runtime.settings.broadcast_timezone)
    scheduler.start()
    scheduler.lock = lock  # type: ignore[attr-defined]  # released with the process
    return scheduler


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop
