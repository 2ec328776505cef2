"""The statistics cities publish about their chatbots, computed from the question log.

Definitions follow the cities' tables (Iyo City's, for instance):
- 全質問数 total_questions: every question logged;
- 無意味と判断された質問 meaningless: greetings, thanks, テスト, stamps … (not counted as questions);
- 応答数 meaningful: total − meaningless;
- 返答できなかった数 unanswered: meaningful questions the bot had no answer or candidate for;
- 回答率 answer_rate = (meaningful − unanswered) / meaningful.
Months are Japan-time months, as the city counts them.
Offering もしかして candidates counts as answering, as the cities count it.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import JST
from core.models import LineUser
from faq.models import QuestionLog, QuestionOutcome
from faq.normalize import normalize

TOP_UNANSWERED = 10


@dataclass(frozen=True)
class QuestionCounts:
    """One row of the cities' table."""

    total_questions: int
    meaningless: int
    meaningful: int
    unanswered: int
    answer_rate: float | None
    helpful: int
    not_helpful: int
    helpful_rate: float | None

    @classmethod
    def of(cls, outcomes: Counter, helpful: int, not_helpful: int) -> QuestionCounts:
        """Derive the row from counts by outcome and feedback."""
        total = sum(outcomes.values())
        meaningless = outcomes[QuestionOutcome.MEANINGLESS]
        meaningful = total - meaningless
        unanswered = outcomes[QuestionOutcome.UNANSWERED]
        rated = helpful + not_helpful
        return cls(total, meaningless, meaningful, unanswered,
                   round((meaningful - unanswered) / meaningful, 4) if meaningful else None,
                   helpful, not_helpful, round(helpful / rated, 4) if rated else None)


def question_stats(session: Session, *, start: datetime | None = None, end: datetime | None = None,
                   channel: str | None = None) -> dict:
    """The whole table for a period [start, end): totals, month by month, top unanswered, friends."""
    rows = session.execute(_questions(start, end, channel)).all()
    by_month: dict[str, list] = {}
    for row in rows:
        by_month.setdefault(f"{row.created_at.astimezone(JST):%Y-%m}", []).append(row)
    totals = _counts(rows)
    return {
        **asdict(totals),
        "by_month": [{"month": month, **asdict(_counts(month_rows))} for month, month_rows in sorted(by_month.items())],
        "top_unanswered": _top_unanswered(rows),
        **friend_stats(session, start=start, end=end),
    }


def _questions(start: datetime | None, end: datetime | None, channel: str | None):  # type: ignore[no-untyped-def]
    statement = select(QuestionLog.created_at, QuestionLog.outcome, QuestionLog.helpful, QuestionLog.text)
    if start is not None:
        statement = statement.where(QuestionLog.created_at >= start)
    if end is not None:
        statement = statement.where(QuestionLog.created_at < end)
    if channel is not None:
        statement = statement.where(QuestionLog.channel == channel)
    return statement


def _counts(rows: list) -> QuestionCounts:
    outcomes = Counter(row.outcome for row in rows)
    return QuestionCounts.of(outcomes, sum(1 for r in rows if r.helpful is True),
                             sum(1 for r in rows if r.helpful is False))


def _top_unanswered(rows: list) -> list[dict]:
    # Grouped on the normalised text, so 全角/半角 and spacing variants count as one question.
    counter: Counter[str] = Counter()
    example: dict[str, str] = {}
    for row in rows:
        if row.outcome is QuestionOutcome.UNANSWERED and row.text:
            key = normalize(row.text)
            counter[key] += 1
            example.setdefault(key, row.text)
    return [{"text": example[key], "count": count} for key, count in counter.most_common(TOP_UNANSWERED)]


def friend_stats(session: Session, *, start: datetime | None = None, end: datetime | None = None) -> dict:
    """Friends now, and follows and blocks within the period."""
    friends = session.scalar(select(func.count()).select_from(LineUser).where(
        LineUser.followed_at.is_not(None), LineUser.blocked_at.is_(None))) or 0
    return {"friends": friends,
            "new_follows": _count_between(session, LineUser.followed_at, start, end),
            "blocks": _count_between(session, LineUser.blocked_at, start, end)}


def _count_between(session: Session, column, start: datetime | None, end: datetime | None) -> int:  # type: ignore[no-untyped-def]
    statement = select(func.count()).select_from(LineUser).where(column.is_not(None))
    if start is not None:
        statement = statement.where(column >= start)
    if end is not None:
        statement = statement.where(column < end)
    return session.scalar(statement) or 0


def friends_by_month(session: Session, *, start: datetime | None = None, end: datetime | None = None) -> list[dict]:
    """Follows and blocks per Japan-time month in [start, end), oldest first."""
    months: dict[str, dict[str, int]] = {}
    for kind, column in (("follows", LineUser.followed_at), ("blocks", LineUser.blocked_at)):
        statement = select(column).where(column.is_not(None))
        if start is not None:
            statement = statement.where(column >= start)
        if end is not None:
            statement = statement.where(column < end)
        for moment in session.scalars(statement):
            month = months.setdefault(f"{moment.astimezone(JST):%Y-%m}", {"follows": 0, "blocks": 0})
            month[kind] += 1
    return [{"month": month, **counts} for month, counts in sorted(months.items())]
