"""Personal data over time: retention purges, and one citizen's export and deletion."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.privacy import RetentionPolicy, delete_citizen, export_citizen, purge_expired
from core.models import LineUser, MessageLog
from faq.models import QuestionLog
from faq.stats import question_stats
from inquiries.models import Inquiry
from tests.conftest import FIXED_NOW
from tests.webhook_events import OTHER_USER, USER, follow_event, postback_event, text_event


def _visit(webhook, user: str = USER) -> None:
    webhook.send(follow_event(user_id=user))
    webhook.send(text_event("避難所はどこにありますか", user_id=user))
    webhook.send(postback_event("action=inquiry", user_id=user))
    webhook.send(text_event("自宅の前の側溝があふれています", user_id=user))
    webhook.send(postback_event("action=pref_toggle&c=tourism", user_id=user))


def test_a_citizen_can_see_everything_kept_about_them(webhook, session_factory) -> None:
    _visit(webhook)
    with session_factory() as session:
        exported = export_citizen(session, USER)
    assert exported["account"]["followed_at"] is not None
    assert [q["text"] for q in exported["questions"]] == ["避難所はどこにありますか"]
    assert exported["inquiries"][0]["messages"][0]["text"] == "自宅の前の側溝があふれています"
    assert any(m["text"] == "避難所はどこにありますか" for m in exported["messages"])
    assert exported["delivery_preferences"]["has_chosen"] is True


def test_deleting_a_citizen_erases_their_words_and_keeps_the_anonymous_counts(webhook, session_factory) -> None:
    _visit(webhook)
    _visit(webhook, OTHER_USER)
    with session_factory() as session:
        before = question_stats(session)
    with session_factory.begin() as session:
        delete_citizen(session, USER)
    with session_factory() as session:
        assert export_citizen(session, USER)["account"] is None
        assert export_citizen(session, USER)["questions"] == []
        assert session.scalar(select(func.count()).select_from(Inquiry).where(Inquiry.line_user_id == USER)) == 0
        assert session.scalar(select(func.count()).select_from(MessageLog).where(MessageLog.line_user_id == USER)) == 0
        after = question_stats(session)
        assert export_citizen(session, OTHER_USER)["questions"]  # the other citizen is untouched
    assert (after["total_questions"], after["answer_rate"]) == (before["total_questions"], before["answer_rate"])


def test_old_personal_data_is_purged_by_the_retention_policy(webhook, session_factory) -> None:
    _visit(webhook)
    policy = RetentionPolicy(message_days=90, question_text_days=365, inquiry_days=1095, webhook_days=30)
    with session_factory.begin() as session:
        assert purge_expired(session, policy, now=FIXED_NOW + timedelta(days=10)) == {
            "messages": 0, "question_texts": 0, "inquiries": 0, "webhook_payloads": 0}
    with session_factory.begin() as session:
        counts = purge_expired(session, policy, now=FIXED_NOW + timedelta(days=400))
    assert counts["messages"] > 0 and counts["question_texts"] == 1 and counts["webhook_payloads"] > 0
    assert counts["inquiries"] == 0  # still open: an open inquiry is never purged
    with session_factory() as session:
        question = session.scalars(select(QuestionLog)).one()
        assert question.text is None and question.outcome is not None
        assert session.scalar(select(func.count()).select_from(LineUser)) == 1


def test_the_policy_reads_the_environment_with_safe_defaults() -> None:
    policy = RetentionPolicy.from_env({"RETENTION_MESSAGE_DAYS": "30", "RETENTION_INQUIRY_DAYS": "many"})
    assert (policy.message_days, policy.inquiry_days) == (30, RetentionPolicy().inquiry_days)


def test_the_cli_exports_and_deletes_a_citizen(webhook, settings, monkeypatch, capsys) -> None:
    import json

    from bot.cli import main

    _visit(webhook)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    capsys.readouterr()
    assert main(["privacy", "export", USER]) == 0
    assert json.loads(capsys.readouterr().out)["questions"][0]["text"] == "避難所はどこにありますか"
    assert main(["privacy", "delete", USER]) == 0
    assert json.loads(capsys.readouterr().out)["account"] == 1
    assert main(["privacy", "purge"]) == 0
    assert set(json.loads(capsys.readouterr().out)) == {"messages", "question_texts", "inquiries", "webhook_payloads"}


def test_the_scheduler_purges_by_the_retention_policy(webhook, session_factory, monkeypatch) -> None:
    from bot.scheduler import BroadcastScheduler

    _visit(webhook)
    monkeypatch.setenv("RETENTION_MESSAGE_DAYS", "1")
    engine = session_factory.kw["bind"]
    scheduler = BroadcastScheduler(session_factory, engine, clock=lambda: FIXED_NOW + timedelta(days=2))
    scheduler.purge()
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(MessageLog)) == 0
