"""Triage of what the bot could not answer (or answered badly): the loop that raises the answer rate.

Questions are grouped by their normalised wording, so ten citizens asking 「ペットの火葬」 in
different widths and spacings are one line for staff, with a count.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from faq.models import QuestionLog, QuestionOutcome
from faq.normalize import normalize

STATUSES = ("new", "pending", "applied", "ignored")
MAX_GROUPS = 200


@dataclass
class TriageGroup:
    """Questions worded alike, with how often they were asked."""

    text: str
    question_ids: list[int] = field(default_factory=list)
    last_asked: datetime | None = None
    badly_rated: int = 0

    @property
    def count(self) -> int:
        """How many times it was asked."""
        return len(self.question_ids)


def triage_groups(session: Session, *, status: str = "new", limit: int = MAX_GROUPS) -> list[TriageGroup]:
    """Unanswered and 役に立たなかった questions in a triage status, grouped, most asked first."""
    statement = (select(QuestionLog).where(
        QuestionLog.triage_status == status, QuestionLog.text.is_not(None),
        or_(QuestionLog.outcome == QuestionOutcome.UNANSWERED, QuestionLog.helpful.is_(False)))
        .order_by(QuestionLog.id))
    groups: dict[str, TriageGroup] = {}
    for question in session.scalars(statement):
        group = groups.setdefault(normalize(question.text or ""), TriageGroup(text=question.text or ""))
        group.question_ids.append(question.id)
        group.last_asked = question.created_at
        group.badly_rated += question.helpful is False
    ranked = sorted(groups.values(), key=lambda g: (-g.count, -(g.last_asked.timestamp() if g.last_asked else 0)))
    return ranked[:limit]


def set_triage_status(session: Session, question_ids: Sequence[int], status: str) -> int:
    """Move questions to another triage status; returns how many changed."""
    if status not in STATUSES:
        raise ValueError(f"unknown triage status {status!r}")
    if not question_ids:
        return 0
    result = session.execute(update(QuestionLog).where(QuestionLog.id.in_(list(question_ids)))
                             .values(triage_status=status))
    return result.rowcount or 0
