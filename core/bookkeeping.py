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

from sqlalchemy import bindparam, insert, update
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
        # The handlers' pending ORM changes first, as the autoflush of a session.execute did; then plain
        # Core statements on the transaction's connection. Through the session, each went through the
        # ORM's statement handling (an autoflush, bulk-update compile state) for rows it never loads.
        session.flush()
        connection = session.connection()
        if self.messages:
            # Core executemany: one round trip for the batch's log (PostgreSQL's insertmanyvalues).
            connection.execute(_INSERT_MESSAGES, self.messages)
        for status, ids in self.finished.items():
            connection.execute(_FINISH_EVENTS, {"ids": ids, "status": status, "now": now})
        if self.citizens_heard:
            connection.execute(_HEARD_FROM, {"ids": sorted(self.citizens_heard), "now": now})
        self.messages, self.finished, self.citizens_heard = [], {}, set()


# Built once, values bound at execution (the statements' cache keys were a share of each batch's cost).
_EVENTS, _USERS = InboxEvent.__table__, LineUser.__table__
_INSERT_MESSAGES = insert(MessageLog.__table__)
_FINISH_EVENTS = (update(_EVENTS).where(_EVENTS.c.id.in_(bindparam("ids", expanding=True)))
                  .values(status=bindparam("status"), attempts=_EVENTS.c.attempts + 1, processed_at=bindparam("now"),
                          error=None))
_HEARD_FROM = (update(_USERS).where(_USERS.c.id.in_(bindparam("ids", expanding=True)))
               .values(last_message_at=bindparam("now")))
