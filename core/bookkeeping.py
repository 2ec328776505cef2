"""The rows every answered event writes besides its handler's own work, written once per batch.

Each event logs the citizen's message and the reply, marks its inbox row done and stamps the
citizen's last message time. Written one by one through the ORM, those rows sat pending until
the next query of the next event flushed them: 0.88 flushes and about three statements an event.
Nothing in a batch reads them back (the message log serves staff and 開示請求, the inbox status
the next claim, the last message time the export of a citizen's data), so they are kept here and
written in one statement each just before the batch's transaction commits: rolled back with it,
never half written. Draining a backlog, that took a worker from 7.7 to 6.9 ms of CPU an event
and PostgreSQL from 1.4 to 1.1 ms (bench/worker_drain.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from core.models import Direction, InboxEvent, InboxStatus, LineUser, MessageLog


@dataclass
class Bookkeeping:
    """What a batch has to record, collected while its handlers run; `write` puts it in the session."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    finished: dict[InboxStatus, list[int]] = field(default_factory=dict)
    citizens_heard: set[int] = field(default_factory=set)  # line_users.id

    def log_message(self, *, line_user_id: str, direction: Direction, message_type: str, text: str | None,
                    inbox_event_id: int, at: datetime) -> None:
        """One message of the conversation, either way (kept in the order they were logged)."""
        self.messages.append({"line_user_id": line_user_id, "direction": direction, "message_type": message_type,
                              "text": text, "inbox_event_id": inbox_event_id, "created_at": at})

    def finish(self, inbox_event_id: int, status: InboxStatus = InboxStatus.DONE) -> None:
        """The event was processed (or deliberately ignored)."""
        self.finished.setdefault(status, []).append(inbox_event_id)

    def heard_from(self, user: LineUser) -> None:
        """The citizen wrote to us (their last message time is stamped when the batch is written)."""
        self.citizens_heard.add(user.id)

    def write(self, session: Session, *, now: datetime) -> None:
        """Add everything collected to the session's transaction, and start afresh."""
        if self.messages:
            # Core executemany: one round trip for the batch's log (PostgreSQL's insertmanyvalues).
            session.execute(insert(MessageLog.__table__), self.messages)
        for status, ids in self.finished.items():
            session.execute(update(InboxEvent).where(InboxEvent.id.in_(ids))
                            .values(status=status, attempts=InboxEvent.attempts + 1, processed_at=now, error=None)
                            .execution_options(synchronize_session=False))
        if self.citizens_heard:
            session.execute(update(LineUser).where(LineUser.id.in_(sorted(self.citizens_heard)))
                            .values(last_message_at=now).execution_options(synchronize_session=False))
        self.messages, self.finished, self.citizens_heard = [], {}, set()
