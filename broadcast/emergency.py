"""The processes that send: `madoguchi broadcast emergency` (plan, then deliver it at once, here) and
`madoguchi broadcast worker` (deliver whatever is planned, until stopped)."""
from __future__ import annotations

import logging
import signal
import sys
import threading
from typing import Any

from broadcast.compose import ComposeError
from broadcast.line_client import BulkLineClient
from broadcast.models import BroadcastStatus
from broadcast.pacing import DEFAULT_RATES, Pacer, parse_rates
from broadcast.reports import delivery_report
from broadcast.segments import SegmentError
from broadcast.services import send_emergency
from broadcast.worker import DeliveryWorker
from core.db import make_engine, make_session_factory, utcnow

log = logging.getLogger(__name__)
EMERGENCY_TIMEOUT_SECONDS = 600.0


def bulk_client(settings: Any) -> BulkLineClient:
    """The paced LINE client for this process, from BROADCAST_RATE_LIMITS."""
    rates = {**DEFAULT_RATES, **parse_rates(settings.broadcast_rate_limits)}
    return BulkLineClient(access_token=settings.line_channel_access_token, api_base=settings.line_api_base,
                          pacer=Pacer(rates))


def run_emergency(settings: Any, *, text: str, areas: list[str], staff: str) -> int:
    """Store the emergency with its retry keys, then deliver it from this process straight away.

    If this process dies, the chunks stay planned and any worker finishes them under the same keys.
    """
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    try:
        try:
            with sessions.begin() as session:
                broadcast = send_emergency(session, text=text, areas=areas, created_by=staff, now=utcnow())
        except (ComposeError, SegmentError) as exc:
            print(f"not sent: {exc}", file=sys.stderr)
            return 1
        if broadcast.status == BroadcastStatus.EMPTY:
            print(f"emergency {broadcast.id}: nobody to send to (no follower matches)")
            return 0
        worker = DeliveryWorker(sessions, bulk_client(settings), threads=4, batch=5, idle_seconds=0.05,
                                broadcast_id=broadcast.id)
        done = worker.run_until_done(timeout=EMERGENCY_TIMEOUT_SECONDS)
        with sessions() as session:
            report = delivery_report(session, broadcast.id)
        print(f"emergency {broadcast.id}: {report.recipients} recipients, {report.sent}/{report.chunks} calls accepted, "
              f"{report.failed} failed, {report.retries} retries")
        return 0 if done and report and report.failed == 0 else 1
    finally:
        engine.dispose()


def run_worker(settings: Any, *, threads: int, batch: int, until_done: bool = False,
               stop: threading.Event | None = None) -> int:
    """Deliver planned chunks until SIGTERM or Ctrl-C (or, with until_done, until none is pending)."""
    if until_done:
        engine = make_engine(settings.database_url)
        worker = DeliveryWorker(make_session_factory(engine), bulk_client(settings), threads=threads, batch=batch)
        done = worker.run_until_done()
        engine.dispose()
        return 0 if done else 1
    if stop is None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    engine = make_engine(settings.database_url)
    worker = DeliveryWorker(make_session_factory(engine), bulk_client(settings), threads=threads, batch=batch)
    worker.start()
    log.info("delivery worker running: %d threads", threads)
    stop.wait()
    worker.stop()
    engine.dispose()
    return 0
