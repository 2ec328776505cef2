"""Turning stored inbox events into answers: a batch of events per transaction, replies sent after the commit."""
from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from linebot.v3.webhooks import Event
from sqlalchemy import bindparam
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch import handler_for
from bot.loading_dots import BEHIND_AFTER, LoadingDots
from bot.prefetch import BatchLookups
from core.config import Settings
from core.bookkeeping import Bookkeeping
from core.db import per_dialect
from core.inbox import claim_due, record_failure
from core.line_gateway import LineApiError, LineGateway, LineMessage, SdkLineGateway, reply_or_push, retry_key_for
from core.metrics import EVENTS_PROCESSED, event_type_label
from core.models import Direction, InboxEvent, InboxStatus, LineUser
from faq.answering import FaqAnswerer
from handlers.context import HandlerContext
from handlers.inquiry import staff_reply_messages
from handlers.report_replies import notice_builder
from inquiries.services import deliver_staff_replies
from reports.outbox import work_report_outbox
from reports.storage import LocalMediaStorage

log = logging.getLogger(__name__)

# Events claimed and answered in one transaction: one commit (one disk flush) for many answers
# is what lets a worker keep up after an evacuation warning, when thousands write at once.
EVENT_BATCH = 20
SEND_THREADS = 8  # replies in flight at once per worker (LINE answers in tens of milliseconds)
BROADCAST_BATCH = 5  # broadcast chunks the inline worker sends between looks at the inbox
OUTBOX_SECONDS = 1.0  # how often a polling worker looks for staff replies, report notices and photos


@dataclass(frozen=True)
class Outgoing:
    """A reply waiting for its transaction to commit."""

    webhook_event_id: str
    reply_token: str | None
    line_user_id: str | None
    messages: list[LineMessage]


class EventProcessor:
    """Claims pending inbox events and runs their handlers."""

    def __init__(self, session_factory: sessionmaker, line: LineGateway, answerer: FaqAnswerer,
                 clock: Callable[[], datetime], *, settings: Settings | None = None, send_threads: int = 1,
                 batch_size: int = EVENT_BATCH) -> None:
        self.session_factory = session_factory
        self.line = line
        self.answerer = answerer
        self.clock = clock
        self.settings = settings
        self.batch_size = batch_size
        # Report photos are stored under MEDIA_DIR; without settings (bare tests) they wait undownloaded.
        self.media = LocalMediaStorage(settings.media_dir) if settings is not None else None
        # Replies of a batch go out in parallel (each citizen's in order); one thread keeps tests deterministic.
        self._sender = (ThreadPoolExecutor(send_threads, thread_name_prefix="madoguchi-send")
                        if send_threads > 1 else None)
        # While the worker is behind, queued citizens see LINE's loading animation (bot/loading_dots.py).
        self.dots = LoadingDots(clock)

    def process_next(self) -> bool:
        """Process the oldest pending events (up to a batch). False when there was none."""
        return self.process_batch() > 0

    def process_batch(self) -> int:
        """Claim up to a batch of due events and answer them in one transaction; returns how many were taken.

        When one of them fails, the batch is rolled back and each event gets a transaction of its own,
        so one bad event costs its neighbours a retry, never their answers.
        """
        now = self.clock()
        claimed: list[int] = []
        try:
            with self.session_factory.begin() as session:
                rows = claim_due(session, now=now, limit=self.batch_size)
                claimed = [row.id for row in rows]
                oldest = min((row.received_at for row in rows), default=now)
                lookups, books = BatchLookups.load(session, rows), Bookkeeping()
                outgoing = [reply for row in rows
                            if (reply := self._handle(session, row, lookups, books)) is not None]
                books.write(session, now=self.clock())
        except Exception as exc:  # one event's failure must never stop the others
            if not claimed:
                raise
            if len(claimed) == 1:
                self._record_failure(claimed[0], exc)
            else:
                log.info("batch of %d rolled back (%s): processing them one by one", len(claimed), type(exc).__name__)
                for inbox_id in claimed:
                    self._process_alone(inbox_id)
            return len(claimed)
        if not claimed:
            return 0
        self._send_all(outgoing)
        if now - oldest > BEHIND_AFTER:
            self._show_loading_to_queued(after_id=max(claimed), waited=now - oldest)
        return len(claimed)

    def drain(self, *, limit: int = 10_000) -> int:
        """Process pending events until none is left (or about `limit`); returns how many were taken."""
        count = 0
        while count < limit and (taken := self.process_batch()):
            count += taken
        return count

    def close(self) -> None:
        """Wait for replies still being sent, then release the sending threads."""
        if self._sender is not None:
            self._sender.shutdown(wait=True)

    def _process_alone(self, inbox_id: int) -> None:
        try:
            with self.session_factory.begin() as session:
                rows = claim_due(session, now=self.clock(), limit=1, inbox_id=inbox_id)
                books = Bookkeeping()
                outgoing = [reply for row in rows
                            if (reply := self._handle(session, row, BatchLookups(), books)) is not None]
                books.write(session, now=self.clock())
        except Exception as exc:
            self._record_failure(inbox_id, exc)
            return
        self._send_all(outgoing)

    def _handle(self, session: Session, row: InboxEvent, lookups: BatchLookups, books: Bookkeeping) -> Outgoing | None:
        now = self.clock()
        payload = row.payload
        conversation = lookups.conversation(session, row.line_user_id, now=now) if row.line_user_id else None
        handler = handler_for(row.event_type, row.message_type, conversation.kind if conversation else None)
        if handler is None or _is_group_message(payload):
            books.finish(row.id, InboxStatus.IGNORED)
            EVENTS_PROCESSED.labels(type=event_type_label(row.event_type), result="ignored").inc()
            return None
        event = Event.from_dict(payload)
        self.answerer.sync(session)  # staff edits made in another process (at most one check a second)
        user = _touch_user(session, row, now, lookups, books)
        if user is not None and row.event_type == "follow":
            self._remember_language(user)
        ctx = HandlerContext(session=session, now=now, answerer=self.answerer, inbox_event_id=row.id, line_user=user,
                             books=books, settings=self.settings)
        handler(event, ctx)
        books.finish(row.id)
        EVENTS_PROCESSED.labels(type=event_type_label(row.event_type), result="done").inc()
        if not ctx.replies:
            return None
        return Outgoing(row.webhook_event_id, payload.get("replyToken"), row.line_user_id, list(ctx.replies))

    def deliver_outbox(self) -> int:
        """Push what staff wrote since the last run (inquiry replies, report status changes); returns how many went out.

        Report photos waiting for download are fetched here too: outside the citizen's event, so a slow
        LINE data host never delays a reply.
        """
        with self.session_factory.begin() as session:
            sent = deliver_staff_replies(session, self.line, staff_reply_messages, now=self.clock())
        with self.session_factory.begin() as session:  # report photos to fetch, report status pushes
            sent += work_report_outbox(session, self.line, self.media, notice_builder(self.settings), now=self.clock())
        return sent

    def deliver_broadcasts(self) -> int:
        """Send a few due broadcast chunks; returns how many LINE accepted (more may be due)."""
        from broadcast.delivery import finish_deliveries, send_due_chunks

        # A small batch per pass: citizens' questions wait for at most one batch of broadcast calls.
        with self.session_factory.begin() as session:
            sent = send_due_chunks(session, self._broadcast_line(), now=self.clock(), limit=BROADCAST_BATCH)
            if not sent:
                finish_deliveries(session, now=self.clock())
            return sent

    def _broadcast_line(self) -> object:
        # The SDK gateway has no broadcast endpoint (an emergency to everyone is one such call):
        # lend it the broadcast package's paced client, talking to the same LINE.
        if not isinstance(self.line, SdkLineGateway) or self.settings is None:
            return self.line
        if getattr(self, "_with_broadcast", None) is None:
            from broadcast.emergency import bulk_client
            from broadcast.line_client import WithBroadcastEndpoint

            self._with_broadcast = WithBroadcastEndpoint(self.line, bulk_client(self.settings))
        return self._with_broadcast

    def _remember_language(self, user: LineUser) -> None:
        # Only the language is kept from the profile (for broadcasts by language), not the name or picture.
        try:
            language = self.line.get_profile(user.line_user_id).get("language")
        except LineApiError as exc:
            log.info("profile not available: status=%s", exc.status)
            return
        if isinstance(language, str) and language:
            user.language = language[:16]

    def _show_loading_to_queued(self, *, after_id: int, waited: timedelta) -> None:
        try:
            with self.session_factory.begin() as session:
                shown = self.dots.newly_queued(session, after_id=after_id, waited=waited)
        except SQLAlchemyError as exc:  # cosmetic: never at the cost of the answers
            log.info("queued citizens not looked up: %s", type(exc).__name__)
            return
        for line_user_id, seconds in shown:
            self._submit(self._show_loading, line_user_id, seconds)

    def _show_loading(self, line_user_id: str, seconds: int) -> None:
        # Purely cosmetic, so a failure here must not fail anything.
        try:
            self.line.show_loading(line_user_id, seconds)
        except LineApiError as exc:
            log.info("loading animation refused: status=%s", exc.status)

    def _send_all(self, outgoing: Sequence[Outgoing]) -> None:
        # In parallel across citizens, in order for each one (two questions, two answers, same order).
        by_citizen: dict[str, list[Outgoing]] = {}
        for item in outgoing:
            by_citizen.setdefault(item.line_user_id or item.webhook_event_id, []).append(item)
            if item.line_user_id:
                self.dots.answered(item.line_user_id)  # a message ends LINE's loading dots
        for items in by_citizen.values():
            self._submit(self._send_in_order, items)

    def _send_in_order(self, items: Sequence[Outgoing]) -> None:
        for item in items:
            self._send(item)

    def _submit(self, function: Callable[..., None], *args: Any) -> None:
        if self._sender is not None:
            try:
                self._sender.submit(function, *args)
                return
            except RuntimeError:  # the pool was closed while a batch was still in hand: send from here
                pass
        function(*args)

    def _send(self, outgoing: Outgoing) -> None:
        try:
            # The retry key is derived from the event, so a push after a crash is not sent twice.
            reply_or_push(self.line, reply_token=outgoing.reply_token, to=outgoing.line_user_id,
                          messages=outgoing.messages, retry_key=retry_key_for("reply", outgoing.webhook_event_id))
        except LineApiError as exc:
            log.warning("reply failed: event=%s status=%s", outgoing.webhook_event_id, exc.status)
        except Exception as exc:  # on a sending thread nobody else would see it
            # Type and stack only: the message could quote the answer or the citizen's words.
            stack = "".join(traceback.format_tb(exc.__traceback__))
            log.error("reply failed: event=%s error=%s\n%s", outgoing.webhook_event_id, type(exc).__name__, stack)

    def _record_failure(self, inbox_id: int, exc: BaseException) -> None:
        EVENTS_PROCESSED.labels(type="unknown", result="failed").inc()
        # Type and stack only: an exception's message may quote what the citizen wrote.
        stack = "".join(traceback.format_tb(exc.__traceback__))
        log.error("event failed: inbox_id=%s error=%s\n%s", inbox_id, type(exc).__name__, stack)
        with self.session_factory.begin() as session:
            record_failure(session, inbox_id, exc, now=self.clock())


def _is_group_message(payload: dict[str, Any]) -> bool:
    # Answering every message in a group would spam its members; the join greeting explains why.
    source_type = (payload.get("source") or {}).get("type")
    return payload.get("type") == "message" and source_type in ("group", "room")


def _touch_user(session: Session, row: InboxEvent, now: datetime, lookups: BatchLookups,
                books: Bookkeeping) -> LineUser | None:
    if not row.line_user_id or (row.payload.get("source") or {}).get("type") != "user":
        return None
    user = lookups.user(session, row.line_user_id)
    if user is None:
        user = _add_citizen(session, row.line_user_id, now)
        lookups.remember(user)
    if row.event_type == "message":
        books.heard_from(user)
        message = row.payload.get("message") or {}
        books.log_message(line_user_id=row.line_user_id, direction=Direction.INCOMING,
                          message_type=row.message_type or "unknown", text=message.get("text"),
                          inbox_event_id=row.id, at=now)
    return user


def _add_citizen(session: Session, line_user_id: str, now: datetime) -> LineUser:
    # An upsert, not a plain INSERT: another worker may be adding the same new citizen right now,
    # and a unique-key error would roll back this worker's whole batch. DO UPDATE (of nothing that
    # changes) rather than DO NOTHING so that RETURNING gives the row either way: one statement.
    statement = _UPSERT_CITIZEN[session.get_bind().dialect.name]
    return session.scalars(statement, {"line_user_id": line_user_id, "first_seen_at": now},
                           execution_options={"populate_existing": True}).one()


def _upsert_citizen(insert: Callable[..., Any]) -> Any:
    statement = insert(LineUser).values(line_user_id=bindparam("line_user_id"), first_seen_at=bindparam("first_seen_at"))
    statement = statement.on_conflict_do_update(index_elements=["line_user_id"],
                                                set_={"line_user_id": statement.excluded.line_user_id})
    return statement.returning(LineUser)


# Built once per dialect, values bound at execution: building the upsert for each new citizen (its
# `excluded` columns, its cache key) was about 40% of its cost in a py-spy profile of
# bench/worker_drain.py, where a fifth of the events are a new citizen's first.
_UPSERT_CITIZEN = per_dialect(_upsert_citizen)


class InlineWorker:
    """The embedded default's worker: a daemon thread that drains the inbox whenever the webhook stores events.

    `madoguchi worker` runs one too, polling (no webhook in its process to wake it), with broadcasts
    left to its delivery threads.
    """

    def __init__(self, processor: EventProcessor, *, idle_seconds: float = 5.0, broadcasts: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.processor = processor
        self.idle_seconds = idle_seconds
        self.broadcasts = broadcasts
        self.clock = clock
        self._outbox_due = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="madoguchi-inline-worker", daemon=True)

    def start(self) -> None:
        """Start the thread (once); its first pass runs at once (work a crash or restart left behind)."""
        if not self._thread.is_alive():
            self._wake.set()
            self._thread.start()

    def notify(self) -> None:
        """Tell the worker new events are waiting."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current events, send their replies, and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.processor.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            # The idle timeout also picks up events a crash left pending.
            woken = self._wake.wait(self.idle_seconds)
            if woken:
                # Cleared only when it woke us: a notify() landing just as the wait timed out stays set
                # and wakes the next pass at once. Cleared then too, it was lost: new events waited for
                # the next timeout, and a staff reply for the next look at the outbox.
                self._wake.clear()
            try:
                # Polling (nobody woke us: `madoguchi worker` has no webhook in its process), the outbox
                # is looked at once a second, not on every pass: that cost an idle worker two
                # transactions five times a second. When woken (a staff reply, a photo), at once.
                if self.run_once(outbox=woken or self.clock() >= self._outbox_due):
                    self._wake.set()  # more chunks may be due: come straight back (after any new events)
            except Exception as exc:  # the database may be down for a moment: wait and try again
                log.error("inline worker: %s; retrying", type(exc).__name__)
                self._stop.wait(1.0)

    def run_once(self, *, outbox: bool = True) -> bool:
        """One pass: the pending events, the outbox (staff replies, report notices and photos) unless told
        not to, a few broadcast chunks; True if more chunks may wait."""
        while not self._stop.is_set() and self.processor.process_next():
            pass
        if outbox:
            self._outbox_due = self.clock() + OUTBOX_SECONDS
            self.processor.deliver_outbox()
        return self.broadcasts and self.processor.deliver_broadcasts() > 0
