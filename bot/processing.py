"""Turning stored inbox events into answers: one transaction per event, replies sent after commit."""
from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from linebot.v3.webhooks import Event
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatch import handler_for
from core.conversation import current_conversation
from core.config import Settings
from core.inbox import claim_next, mark_done, record_failure
from core.line_gateway import LineApiError, LineGateway, LineMessage, SdkLineGateway, reply_or_push, retry_key_for
from core.metrics import EVENTS_PROCESSED
from core.models import Direction, InboxEvent, InboxStatus, LineUser, MessageLog
from faq.answering import FaqAnswerer
from handlers.context import HandlerContext
from handlers.inquiry import staff_reply_messages
from handlers.report_replies import notice_builder
from inquiries.services import deliver_staff_replies
from reports.outbox import work_report_outbox
from reports.storage import LocalMediaStorage

log = logging.getLogger(__name__)

# When an event has waited this long in the inbox, show LINE's loading animation before answering.
LOADING_AFTER = timedelta(seconds=1)
LOADING_SECONDS = 5  # LINE accepts 5..60 in steps of 5; the answer ends it early
BROADCAST_BATCH = 5  # broadcast chunks the inline worker sends between looks at the inbox


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
                 clock: Callable[[], datetime], *, settings: Settings | None = None) -> None:
        self.session_factory = session_factory
        self.line = line
        self.answerer = answerer
        self.clock = clock
        self.settings = settings
        # Report photos are stored under MEDIA_DIR; without settings (bare tests) they wait undownloaded.
        self.media = LocalMediaStorage(settings.media_dir) if settings is not None else None

    def process_next(self) -> bool:
        """Process the oldest pending event. False when there was none."""
        inbox_id: int | None = None
        try:
            with self.session_factory.begin() as session:
                row = claim_next(session, now=self.clock())
                if row is None:
                    return False
                inbox_id = row.id
                outgoing = self._handle(session, row)
        except Exception as exc:  # one event's failure must never stop the others
            if inbox_id is None:
                raise
            self._record_failure(inbox_id, exc)
            return True
        if outgoing is not None:
            self._send(outgoing)
        return True

    def drain(self, *, limit: int = 10_000) -> int:
        """Process pending events until none is left (or `limit`); returns how many were taken."""
        count = 0
        while count < limit and self.process_next():
            count += 1
        return count

    def _handle(self, session: Session, row: InboxEvent) -> Outgoing | None:
        now = self.clock()
        payload = row.payload
        conversation = current_conversation(session, row.line_user_id, now=now) if row.line_user_id else None
        handler = handler_for(row.event_type, row.message_type, conversation.kind if conversation else None)
        if handler is None or _is_group_message(payload):
            mark_done(row, now=now, status=InboxStatus.IGNORED)
            EVENTS_PROCESSED.labels(type=row.event_type[:40], result="ignored").inc()
            return None
        event = Event.from_dict(payload)
        self.answerer.sync(session)  # staff edits made in another process (at most one check a second)
        user = _touch_user(session, row, now)
        if user is not None and row.event_type == "follow":
            self._remember_language(user)
        if user is not None and row.event_type == "message" and now - row.received_at > LOADING_AFTER:
            self._show_loading(user.line_user_id)
        ctx = HandlerContext(session=session, now=now, answerer=self.answerer, inbox_event_id=row.id, line_user=user,
                             settings=self.settings)
        handler(event, ctx)
        mark_done(row, now=now)
        EVENTS_PROCESSED.labels(type=row.event_type, result="done").inc()
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

    def _show_loading(self, line_user_id: str) -> None:
        # A backlog (after an evacuation warning, thousands write at once) means the citizen has
        # waited already: LINE's loading dots tell them an answer is coming. Purely cosmetic, so
        # a failure here must not fail the event.
        try:
            self.line.show_loading(line_user_id, LOADING_SECONDS)
        except LineApiError as exc:
            log.info("loading animation refused: status=%s", exc.status)

    def _send(self, outgoing: Outgoing) -> None:
        try:
            # The retry key is derived from the event, so a push after a crash is not sent twice.
            reply_or_push(self.line, reply_token=outgoing.reply_token, to=outgoing.line_user_id,
                          messages=outgoing.messages, retry_key=retry_key_for("reply", outgoing.webhook_event_id))
        except LineApiError as exc:
            log.warning("reply failed: event=%s status=%s", outgoing.webhook_event_id, exc.status)

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


def _touch_user(session: Session, row: InboxEvent, now: datetime) -> LineUser | None:
    if not row.line_user_id or (row.payload.get("source") or {}).get("type") != "user":
        return None
    user = session.scalars(select(LineUser).where(LineUser.line_user_id == row.line_user_id)).first()
    if user is None:
        user = LineUser(line_user_id=row.line_user_id, first_seen_at=now)
        session.add(user)
    if row.event_type == "message":
        user.last_message_at = now
        message = row.payload.get("message") or {}
        session.add(MessageLog(line_user_id=row.line_user_id, direction=Direction.INCOMING,
                               message_type=row.message_type or "unknown", text=message.get("text"),
                               inbox_event_id=row.id, created_at=now))
    return user


class InlineWorker:
    """The embedded default's worker: a daemon thread that drains the inbox whenever the webhook stores events."""

    def __init__(self, processor: EventProcessor, *, idle_seconds: float = 5.0) -> None:
        self.processor = processor
        self.idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="madoguchi-inline-worker", daemon=True)

    def start(self) -> None:
        """Start the thread (once)."""
        if not self._thread.is_alive():
            self._thread.start()

    def notify(self) -> None:
        """Tell the worker new events are waiting."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current event and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            # The idle timeout also picks up events a crash left pending.
            self._wake.wait(self.idle_seconds)
            self._wake.clear()
            try:
                while not self._stop.is_set() and self.processor.process_next():
                    pass
                self.processor.deliver_outbox()
                if self.processor.deliver_broadcasts():
                    self._wake.set()  # more chunks may be due: come straight back (after any new events)
            except Exception as exc:  # the database may be down for a moment: wait and try again
                log.error("inline worker: %s; retrying", type(exc).__name__)
                self._stop.wait(1.0)
