"""Delivery workers: threads that keep sending due chunks, in any number of processes.

`madoguchi broadcast worker` runs one of these; the embedded default's inline worker calls
send_due_chunks itself. Each pass is one transaction (the entry point owns it), so a worker killed
mid-pass leaves its chunks pending, and the next pass — here or in another process — sends them
again under the same retry keys.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from broadcast.delivery import DEFAULT_BATCH, finish_deliveries, send_due_chunks
from broadcast.models import ChunkStatus, DeliveryChunk
from core.db import utcnow

if TYPE_CHECKING:
    from core.line_gateway import LineGateway

log = logging.getLogger(__name__)


class DeliveryWorker:
    """`threads` threads, each sending `batch` chunks per transaction.

    When nothing is due a thread sleeps `idle_seconds`, twice as long after each empty look up to
    `max_idle_seconds` (no longer than `idle_seconds` unless given), and comes back to the short
    sleep as soon as it sends. `madoguchi worker` waits for broadcasts for days between two: it
    backs off to a second, so an idle worker does not query the database ten times a second.
    """

    def __init__(self, session_factory: sessionmaker, line: LineGateway, *, threads: int = 4,
                 batch: int = DEFAULT_BATCH, idle_seconds: float = 0.2, max_idle_seconds: float | None = None,
                 broadcast_id: int | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.session_factory, self.line, self.clock = session_factory, line, clock
        self.batch, self.idle_seconds, self.broadcast_id = batch, idle_seconds, broadcast_id
        self.max_idle_seconds = max(idle_seconds, max_idle_seconds or idle_seconds)
        self.stopping = threading.Event()
        self._threads = [threading.Thread(target=self._loop, name=f"madoguchi-delivery-{n}", daemon=True)
                         for n in range(threads)]

    def start(self) -> None:
        """Start the threads."""
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Let each thread finish its pass, then stop."""
        self.stopping.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def run_until_done(self, *, timeout: float | None = None) -> bool:
        """Start, wait until the broadcast (or every broadcast) has no pending chunk, stop. False on timeout."""
        self.start()
        deadline = None if timeout is None else self.clock().timestamp() + timeout
        try:
            while not self.stopping.wait(0.05):
                if not self.has_pending():
                    return True
                if deadline is not None and self.clock().timestamp() > deadline:
                    return False
            return False
        finally:
            self.stop()
            with self.session_factory.begin() as session:
                finish_deliveries(session, now=self.clock())

    def has_pending(self) -> bool:
        """True while a chunk (of this worker's broadcast, if it has one) waits to be sent."""
        query = select(DeliveryChunk.id).where(DeliveryChunk.status == ChunkStatus.PENDING).limit(1)
        if self.broadcast_id is not None:
            query = query.where(DeliveryChunk.broadcast_id == self.broadcast_id)
        with self.session_factory() as session:
            return session.scalar(query) is not None

    def run_once(self) -> int:
        """One pass: send up to `batch` due chunks in one transaction; returns how many LINE accepted."""
        with self.session_factory.begin() as session:
            return send_due_chunks(session, self.line, now=self.clock(), limit=self.batch,
                                   broadcast_id=self.broadcast_id)

    def _loop(self) -> None:
        idle = self.idle_seconds
        while not self.stopping.is_set():
            try:
                if self.run_once():
                    idle = self.idle_seconds
                    continue
                with self.session_factory.begin() as session:
                    finish_deliveries(session, now=self.clock())
            except Exception as exc:  # the database or LINE may be away for a moment: wait, try again
                log.error("delivery worker: %s: %s", type(exc).__name__, exc)
                self.stopping.wait(1.0)
                continue
            self.stopping.wait(idle)
            idle = min(idle * 2, self.max_idle_seconds)
