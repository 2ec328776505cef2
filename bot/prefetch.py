"""What a batch of events needs to know about its citizens, read in two queries instead of two per event."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.conversation import ConversationState, current_conversation
from core.models import InboxEvent, LineUser


@dataclass(frozen=True)
class BatchLookups:
    """The batch's known citizens, and those who are certainly in no conversation."""

    users: dict[str, LineUser] = field(default_factory=dict)
    # Every citizen of the batch: one of them missing from `users` is new (no query needed to know).
    looked_up: frozenset[str] = frozenset()
    # Only citizens with a single event in the batch: an earlier event of the same citizen may start
    # a conversation (an inquiry, a report) that the next one must see.
    without_conversation: frozenset[str] = frozenset()

    @classmethod
    def load(cls, session: Session, rows: Sequence[InboxEvent]) -> BatchLookups:
        """Read the citizens of `rows` and which of them have a conversation row."""
        events_per_citizen = Counter(row.line_user_id for row in rows if row.line_user_id)
        if not events_per_citizen:
            return cls()
        ids = list(events_per_citizen)
        users = {user.line_user_id: user
                 for user in session.scalars(select(LineUser).where(LineUser.line_user_id.in_(ids)))}
        in_conversation = set(session.scalars(
            select(ConversationState.line_user_id).where(ConversationState.line_user_id.in_(ids))))
        single = {line_user_id for line_user_id, count in events_per_citizen.items() if count == 1}
        return cls(users=users, looked_up=frozenset(ids), without_conversation=frozenset(single - in_conversation))

    def conversation(self, session: Session, line_user_id: str, *, now: datetime) -> ConversationState | None:
        """The citizen's unexpired conversation (no query when the batch already knows there is none)."""
        if line_user_id in self.without_conversation:
            return None
        return current_conversation(session, line_user_id, now=now)

    def user(self, session: Session, line_user_id: str) -> LineUser | None:
        """The citizen's row, if they are known (a citizen outside the batch is looked up)."""
        user = self.users.get(line_user_id)
        if user is None and line_user_id not in self.looked_up:
            user = session.scalars(select(LineUser).where(LineUser.line_user_id == line_user_id)).first()
        return user

    def remember(self, user: LineUser) -> None:
        """A citizen added by an event of the batch, for the batch's next events."""
        self.users[user.line_user_id] = user
