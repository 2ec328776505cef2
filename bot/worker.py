"""`madoguchi worker`: a process that answers stored events, pushes staff replies and report notices,
and delivers broadcast chunks. Run any number, on any hosts (PostgreSQL hands each row to one of them).
"""
from __future__ import annotations

import logging
import signal
import threading

from bot.processing import SEND_THREADS, EventProcessor, InlineWorker
from broadcast.emergency import bulk_client
from broadcast.worker import DeliveryWorker
from core.config import Settings
from core.db import make_engine, make_session_factory, utcnow
from core.line_gateway import SdkLineGateway
from faq.answering import FaqAnswerer

log = logging.getLogger(__name__)

# Without the webhook in the same process there is nobody to wake the loop: look every 0.2 s.
POLL_SECONDS = 0.2
# Between broadcasts the delivery threads look for chunks at most once a second: a broadcast queued
# from the admin starts within a second (citizens' questions are looked for every POLL_SECONDS).
DELIVERY_IDLE_SECONDS = 1.0
# How long SIGTERM waits for the events in hand: in effect no limit of our own. A batch whose LINE
# calls hang can outlast any guess, and giving up half-way is the worst outcome: the event thread
# commits its rows after the reply threads were closed, and those answers are lost for good. The
# service manager's SIGKILL (TimeoutStopSec) instead rolls the batch back for another worker.
STOP_WAIT_SECONDS = 3600.0


def run_worker(settings: Settings, *, delivery_threads: int = 2) -> int:
    """Work until SIGTERM or Ctrl-C; the event in hand is finished before stopping."""
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    line = SdkLineGateway(access_token=settings.line_channel_access_token, api_base=settings.line_api_base,
                          data_api_base=settings.line_data_api_base)
    answerer = FaqAnswerer.from_database_when_reachable(session_factory)
    # Broadcast chunks are the delivery threads' (below), not the event loop's: both looked for them
    # five times a second, a good part of what an idle worker cost (bench/worker_idle.py).
    events = InlineWorker(EventProcessor(session_factory, line, answerer, utcnow, settings=settings,
                                        send_threads=SEND_THREADS),
                          idle_seconds=POLL_SECONDS, broadcasts=False)
    # Broadcast chunks go through the broadcast package's paced client (it has LINE's broadcast
    # endpoint and keeps each endpoint under its rate limit).
    deliveries = DeliveryWorker(session_factory, bulk_client(settings), threads=delivery_threads,
                                max_idle_seconds=DELIVERY_IDLE_SECONDS)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    events.start()
    deliveries.start()
    log.info("worker started (%d delivery threads)", delivery_threads)
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    log.info("worker stopping: finishing work in hand")
    deliveries.stopping.set()  # both finish what they hold at the same time, not one after the other
    events.stop(timeout=STOP_WAIT_SECONDS)
    deliveries.stop()
    engine.dispose()
    return 0
