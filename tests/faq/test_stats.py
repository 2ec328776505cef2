"""The cities' table from the question log, checked against a hand-computed example of Iyo City's size."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.models import LineUser
from faq.models import QuestionLog, QuestionOutcome
from faq.stats import question_stats

START = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _log(session, outcome: QuestionOutcome, count: int, *, month: int, text: str = "質問",
         helpful: bool | None = None, channel: str = "line") -> None:
    for n in range(count):
        session.add(QuestionLog(channel=channel, text=text, outcome=outcome, confidence=0.5, helpful=helpful,
                                created_at=datetime(2026, month, 1 + n % 28, 10, tzinfo=timezone.utc)))


def test_a_period_of_iyos_size_gives_the_cities_table(session_factory) -> None:
    # Iyo City published 2,349 questions, 1,957 meaningful, answer rate 89.54%. No whole number of
    # unanswered questions gives exactly 89.54% of 1,957 (204 → 89.58%, 205 → 89.52%): we use 205.
    with session_factory.begin() as session:
        _log(session, QuestionOutcome.MEANINGLESS, 392, month=1)
        _log(session, QuestionOutcome.UNANSWERED, 105, month=1, text="ペットの火葬")
        _log(session, QuestionOutcome.UNANSWERED, 100, month=2, text="ﾍﾟｯﾄの火葬 ")
        _log(session, QuestionOutcome.ANSWERED, 1000, month=1, helpful=True)
        _log(session, QuestionOutcome.ANSWERED, 552, month=2)
        _log(session, QuestionOutcome.CANDIDATES, 200, month=2, helpful=False)
    with session_factory() as session:
        stats = question_stats(session)
    assert (stats["total_questions"], stats["meaningless"], stats["meaningful"], stats["unanswered"]) == \
        (2349, 392, 1957, 205)
    assert stats["answer_rate"] == round((1957 - 205) / 1957, 4) == 0.8952
    assert stats["helpful_rate"] == round(1000 / 1200, 4)
    assert [(m["month"], m["total_questions"], m["unanswered"]) for m in stats["by_month"]] == \
        [("2026-01", 1497, 105), ("2026-02", 852, 100)]
    assert stats["top_unanswered"] == [{"text": "ペットの火葬", "count": 205}]


def test_a_period_and_a_channel_narrow_the_table(session_factory) -> None:
    with session_factory.begin() as session:
        _log(session, QuestionOutcome.ANSWERED, 3, month=1)
        _log(session, QuestionOutcome.ANSWERED, 4, month=2, channel="web")
        _log(session, QuestionOutcome.UNANSWERED, 1, month=3)
    with session_factory() as session:
        february = question_stats(session, start=datetime(2026, 2, 1, tzinfo=timezone.utc),
                                  end=datetime(2026, 3, 1, tzinfo=timezone.utc))
        line_only = question_stats(session, channel="line")
    assert february["total_questions"] == 4
    assert (line_only["total_questions"], line_only["answer_rate"]) == (4, 0.75)


def test_an_empty_period_has_no_rate_rather_than_a_false_zero(session_factory) -> None:
    with session_factory() as session:
        stats = question_stats(session)
    assert stats["total_questions"] == 0 and stats["answer_rate"] is None and stats["helpful_rate"] is None


def test_friends_follows_and_blocks_are_counted(session_factory) -> None:
    with session_factory.begin() as session:
        for n in range(5):
            session.add(LineUser(line_user_id=f"U{n:032d}", first_seen_at=START, followed_at=START + timedelta(days=n),
                                 blocked_at=START + timedelta(days=40) if n == 0 else None))
    with session_factory() as session:
        stats = question_stats(session, start=START, end=START + timedelta(days=31))
    assert (stats["friends"], stats["new_follows"], stats["blocks"]) == (4, 5, 0)


def test_follows_and_blocks_are_counted_by_japan_time_month(session_factory) -> None:
    from faq.stats import friends_by_month

    with session_factory.begin() as session:
        # 2026-01-31 20:00 UTC is already February in Japan.
        session.add(LineUser(line_user_id="U" + "1" * 32, first_seen_at=START,
                             followed_at=datetime(2026, 1, 31, 20, tzinfo=timezone.utc),
                             blocked_at=datetime(2026, 3, 5, tzinfo=timezone.utc)))
        session.add(LineUser(line_user_id="U" + "2" * 32, first_seen_at=START, followed_at=START))
    with session_factory() as session:
        assert friends_by_month(session) == [{"month": "2026-01", "follows": 1, "blocks": 0},
                                             {"month": "2026-02", "follows": 1, "blocks": 0},
                                             {"month": "2026-03", "follows": 0, "blocks": 1}]
